"""The `/_sandbox/...` control routes, the same on every sandbox, mapped onto the Python API.

They exist so that a process that did not start the sandbox (a shell, another
test runner, `officebridge sandbox up`'s users) can steer it; the real services
have no such routes, and their calls are never counted in the statistics.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from officebridge.sandboxkit.contract import Sandbox
from officebridge.sandboxkit.wire import Answer, Request

Route = Callable[[dict[str, Any]], Any]  # the JSON body -> a JSON-able result (None: {"ok": true})


def _add_fault(box: Sandbox, body: dict[str, Any]) -> None:
    params = dict(body)
    if "kind" not in params:
        raise ValueError("a fault needs a 'kind'")
    box.add_fault(params.pop("kind"), **params)


def common_routes(box: Sandbox) -> dict[tuple[str, str], Route]:
    return {
        ("POST", "/_sandbox/faults"): lambda body: _add_fault(box, body),
        ("DELETE", "/_sandbox/faults"): lambda _: box.clear_faults(),
        ("GET", "/_sandbox/stats"): lambda _: box.stats(),
        ("DELETE", "/_sandbox/stats"): lambda _: box.reset_stats(),
        ("POST", "/_sandbox/stats/reset"): lambda _: box.reset_stats(),  # older spelling of DELETE
        ("POST", "/_sandbox/sessions/expire"): lambda _: box.expire_sessions(),
        ("POST", "/_sandbox/reset"): lambda _: box.reset(),
        ("POST", "/_sandbox/seed"): lambda body: box.seed(
            accounts=int(body.get("accounts", 300)), seed=int(body.get("seed", 7))
        ),
    }


def _json(status: int, data: Any) -> Answer:
    return Answer(status, json.dumps(data).encode())


def handle(routes: Mapping[tuple[str, str], Route], request: Request) -> Answer:
    route = routes.get((request.method, request.path.rstrip("/")))
    if route is None:
        return _json(404, {"error": f"no admin route {request.method} {request.path}"})
    try:
        body = json.loads(request.body) if request.body.strip() else {}
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        result = route(body)
    except (KeyError, ValueError, TypeError) as exc:  # json.JSONDecodeError is a ValueError
        return _json(400, {"error": str(exc)})
    return _json(200, {"ok": True} if result is None else result)
