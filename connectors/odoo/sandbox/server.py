"""The HTTP face of the Odoo sandbox: JSON-RPC envelopes, Odoo's error payload, session cookies.

Answers like an Odoo 17 server behind no proxy: every JSON-RPC route answers
HTTP 200 with an envelope that echoes the request id; errors carry Odoo's
payload `{code, message, data: {name, message, arguments, context, debug}}`.
The operation name a fault's `operation` matches is `<model>.<method>` for
object calls (`res.partner.create`), `<service>.<method>` otherwise
(`common.login`, `db.list`), `webclient.version_info` for the version probe.
"""

from __future__ import annotations

import json
import traceback
from http.cookies import SimpleCookie
from typing import Any

from connectors.odoo.sandbox.exceptions import OdooServerError
from officebridge.sandboxkit import Answer, Call, Request

VERSION_PATH = "/web/webclient/version_info"


def rpc_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except json.JSONDecodeError:
        return {}
    return body if isinstance(body, dict) else {}


def describe(request: Request) -> Call:
    params = rpc_body(request).get("params") or {}
    operation = None
    uses_session = False
    if request.path == VERSION_PATH:
        operation = "webclient.version_info"
    elif request.path == "/jsonrpc" and request.method == "POST":
        service, args = params.get("service"), params.get("args") or []
        uses_session = service == "object"
        if uses_session and len(args) > 4:
            operation = f"{args[3]}.{args[4]}"
        else:
            operation = f"{service}.{params.get('method')}"
    return Call(request.path, request.path, operation, uses_session)


def session_id(request: Request) -> str | None:
    cookie = SimpleCookie(request.headers.get("cookie") or "")
    return cookie["session_id"].value if "session_id" in cookie else None


def envelope(req_id: Any, *, result: Any = None, error: dict[str, Any] | None = None) -> Answer:
    key, value = ("error", error) if error is not None else ("result", result)
    return Answer(200, json.dumps({"jsonrpc": "2.0", "id": req_id, key: value}).encode())


def error_payload(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, OdooServerError):
        name, message, code, rpc_message = exc.odoo_name, exc.message, exc.code, exc.rpc_message
    else:
        name, message, code = f"builtins.{type(exc).__name__}", str(exc), 200
        rpc_message = "Odoo Server Error"
    debug = traceback.format_exc()
    data = {"name": name, "message": message, "arguments": [message], "context": {}, "debug": debug}
    return {"code": code, "message": rpc_message, "data": data}


def not_found(request: Request, req_id: Any) -> Answer:
    if request.method != "POST":  # werkzeug's plain page for a GET on an unknown path
        return Answer(404, b"<h1>Not Found</h1>", "text/html")
    data = {"name": "werkzeug.exceptions.NotFound", "message": "404: Not Found", "arguments": []}
    error = {"code": 404, "message": "404: Not Found", "data": {**data, "context": {}, "debug": ""}}
    return Answer(404, json.dumps({"jsonrpc": "2.0", "id": req_id, "error": error}).encode())


def too_many_requests() -> Answer:
    return Answer(429, b"<h1>429 Too Many Requests</h1>", "text/html")
