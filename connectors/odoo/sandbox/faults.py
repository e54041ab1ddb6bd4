"""Injected faults and request statistics, shared by the Python and HTTP controls.

A fault has a kind, a remaining count (`times`; None = until cleared), an
optional regex on the request path and kind-specific parameters. HTTP-level
faults (rate_limit, server_error, timeout) are consumed before the request is
handled; `expire_sessions` invalidates every live session when a matching
object call arrives; `record_error` fails writes of matching records.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from connectors.odoo.sandbox.exceptions import OdooServerError, by_code

KINDS = frozenset({"rate_limit", "server_error", "timeout", "expire_sessions", "record_error"})
HTTP_KINDS = ("rate_limit", "server_error", "timeout")


@dataclass
class Fault:
    kind: str
    times: int | None
    path: re.Pattern[str] | None
    params: dict[str, Any] = field(default_factory=dict)

    def matches(self, path: str, method: str | None = None) -> bool:
        """`path` is a regex on the URL path; the `method` param (e.g. "res.partner.create") narrows to one RPC."""
        wanted = self.params.get("method")
        if wanted is not None and wanted != method:
            return False
        return self.path is None or bool(self.path.search(path))


class FaultBook:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._requests = 0
        self._routes: Counter[str] = Counter()
        self._methods: Counter[str] = Counter()
        self._faults_served: Counter[str] = Counter()

    def add(self, kind: str, times: int | None = None, path: str | None = None, **params: Any) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(sorted(KINDS))}")
        if times is None and kind != "record_error":
            times = 1
        if kind == "record_error" and "field" not in params:
            raise ValueError("record_error needs a 'field' (and a 'value') parameter")
        with self._lock:
            self._faults.append(Fault(kind, times, re.compile(path) if path else None, params))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, kinds: tuple[str, ...] | str, path: str, method: str | None = None) -> Fault | None:
        """The first live fault of these kinds matching `path`, consuming one of its `times`."""
        kinds = (kinds,) if isinstance(kinds, str) else kinds
        with self._lock:
            for fault in self._faults:
                if fault.kind in kinds and fault.matches(path, method) and (fault.times is None or fault.times > 0):
                    if fault.times is not None:
                        fault.times -= 1
                    self._faults_served[fault.kind] += 1
                    return fault
        return None

    def record_check(self, model: str, values: dict[str, Any]) -> OdooServerError | None:
        with self._lock:
            for fault in self._faults:
                if fault.kind != "record_error" or (fault.times is not None and fault.times <= 0):
                    continue
                params = fault.params
                if params.get("model") not in (None, model):
                    continue
                fname = params["field"]
                if fname in values and values[fname] == params.get("value"):
                    if fault.times is not None:
                        fault.times -= 1
                    self._faults_served["record_error"] += 1
                    message = params.get("message") or f"Invalid value for field {fname!r}: {values[fname]!r}"
                    return by_code(str(params.get("error_code") or "ValidationError"), message)
        return None

    # -- statistics -----------------------------------------------------------

    def count(self, route: str, method: str | None = None) -> None:
        with self._lock:
            self._requests += 1
            self._routes[route] += 1
            if method:
                self._methods[method] += 1

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self._requests,
                "by_route": dict(self._routes),
                "by_method": dict(self._methods),
                "faults": dict(self._faults_served),
            }

    def reset_stats(self) -> None:
        with self._lock:
            self._requests = 0
            self._routes.clear()
            self._methods.clear()
            self._faults_served.clear()
