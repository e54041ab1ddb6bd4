"""The HTTP face of the Odoo sandbox: JSON-RPC routes, faults, admin control.

Answers like an Odoo 17 server behind no proxy: every JSON-RPC route answers
HTTP 200 with an envelope that echoes the request id, errors carry Odoo's
payload `{code, message, data: {name, message, arguments, context, debug}}`.
Injected HTTP faults (429, 5xx, delays) come before dispatch, as a proxy or an
overloaded worker would produce them. `/_sandbox/*` is the control plane the
real service never has; it is not counted in the statistics.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
import traceback
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from connectors.odoo.sandbox.exceptions import OdooServerError, SessionExpired
from connectors.odoo.sandbox.faults import HTTP_KINDS, FaultBook
from connectors.odoo.sandbox.rpc import VERSION_INFO, Dispatcher

log = logging.getLogger(__name__)
UNAVAILABLE_HTML = (
    b"<html><head><title>503 Service Unavailable</title></head><body><center>"
    b"<h1>503 Service Unavailable</h1></center><hr><center>nginx</center></body></html>"
)


class Sessions:
    """Session ids handed out at login; `expire_all` makes every current one invalid."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: set[str] = set()
        self._expired: set[str] = set()

    def new(self) -> str:
        sid = secrets.token_hex(20)
        with self._lock:
            self._live.add(sid)
        return sid

    def expire_all(self) -> None:
        with self._lock:
            self._expired |= self._live
            self._live.clear()

    def is_expired(self, sid: str | None) -> bool:
        with self._lock:
            return sid is not None and sid in self._expired


def error_payload(exc: BaseException, tb: str) -> dict[str, Any]:
    if isinstance(exc, OdooServerError):
        name, message, code, rpc_message = exc.odoo_name, exc.message, exc.code, exc.rpc_message
    else:
        name, message, code, rpc_message = (
            f"builtins.{type(exc).__name__}",
            str(exc),
            200,
            "Odoo Server Error",
        )
    return {
        "code": code,
        "message": rpc_message,
        "data": {"name": name, "message": message, "arguments": [message], "context": {}, "debug": tb},
    }


class Handler(BaseHTTPRequestHandler):
    server: SandboxHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "Werkzeug/3.0.1"
    sys_version = "Python/3.11"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("odoo sandbox: " + format, *args)

    # -- plumbing -------------------------------------------------------------

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data).encode(), headers=headers)

    def _session_id(self) -> str | None:
        cookie = SimpleCookie(self.headers.get("Cookie") or "")
        return cookie["session_id"].value if "session_id" in cookie else None

    # -- verbs ----------------------------------------------------------------

    def do_GET(self) -> None:
        if self.path.startswith("/_sandbox/"):
            return self._admin("GET", {})
        self.server.book.count(self.path.split("?")[0])
        return self._send(404, b"<h1>Not Found</h1>", "text/html")

    def do_DELETE(self) -> None:
        if self.path.startswith("/_sandbox/"):
            return self._admin("DELETE", {})
        return self._send(405, b"")

    def do_POST(self) -> None:
        raw = self._body()
        path = self.path.split("?")[0]
        if path.startswith("/_sandbox/"):
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                return self._json(400, {"error": "body must be JSON"})
            return self._admin("POST", body)
        try:
            request = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            request = {}
        params = request.get("params") or {}
        method = None
        if path == "/jsonrpc" and params.get("service") == "object" and len(params.get("args") or []) > 4:
            method = f"{params['args'][3]}.{params['args'][4]}"
        elif path == "/jsonrpc":
            method = f"{params.get('service')}.{params.get('method')}"
        self.server.book.count(path, method)
        if self._http_fault(path, method):
            return None
        return self._rpc(path, request, params)

    def _http_fault(self, path: str, method: str | None) -> bool:
        fault = self.server.book.take(HTTP_KINDS, path, method)
        if fault is None:
            return False
        if fault.kind == "timeout":
            # the answer is late, but the work is still done: the client cannot know whether it landed
            time.sleep(float(fault.params.get("delay", 5)))
            return False
        if fault.kind == "rate_limit":
            retry_after = fault.params.get("retry_after", 1)
            self._send(429, b"<h1>429 Too Many Requests</h1>", "text/html", {"Retry-After": str(retry_after)})
            return True
        status = int(fault.params.get("status", 503))
        self._send(status, UNAVAILABLE_HTML, "text/html")
        return True

    def _rpc(self, path: str, request: dict[str, Any], params: dict[str, Any]) -> None:
        req_id = request.get("id")
        headers: dict[str, str] = {}
        try:
            if path == "/web/webclient/version_info":
                result: Any = dict(VERSION_INFO)
            elif path == "/jsonrpc":
                result = self._jsonrpc(params, headers)
            else:
                return self._json(
                    404,
                    {
                        "jsonrpc": "2.0",
                        "id": req_id,
                        "error": {
                            "code": 404,
                            "message": "404: Not Found",
                            "data": {
                                "name": "werkzeug.exceptions.NotFound",
                                "message": "404: Not Found",
                                "arguments": [],
                                "context": {},
                                "debug": "",
                            },
                        },
                    },
                )
        except Exception as exc:
            return self._json(
                200, {"jsonrpc": "2.0", "id": req_id, "error": error_payload(exc, traceback.format_exc())}
            )
        return self._json(200, {"jsonrpc": "2.0", "id": req_id, "result": result}, headers)

    def _jsonrpc(self, params: dict[str, Any], headers: dict[str, str]) -> Any:
        service, method = params.get("service"), params.get("method")
        args = list(params.get("args") or [])
        if service == "object":
            fault = self.server.book.take("expire_sessions", self.path)
            if fault is not None:
                self.server.sessions.expire_all()
            if self.server.sessions.is_expired(self._session_id()):
                raise SessionExpired()
        result = self.server.dispatcher.dispatch(
            str(service), str(method), args, self.server.book.record_check
        )
        if service == "common" and method in ("login", "authenticate") and result:
            headers["Set-Cookie"] = f"session_id={self.server.sessions.new()}; HttpOnly; Path=/; SameSite=Lax"
        return result

    # -- control plane ----------------------------------------------------------

    def _admin(self, verb: str, body: dict[str, Any]) -> None:  # noqa: PLR0911 - one branch per admin route
        sandbox = self.server.sandbox
        route = self.path.split("?")[0]
        try:
            if route == "/_sandbox/faults" and verb == "POST":
                params = dict(body)
                sandbox.add_fault(
                    params.pop("kind"), params.pop("times", None), params.pop("path", None), **params
                )
                return self._json(200, {"ok": True})
            if route == "/_sandbox/faults" and verb == "DELETE":
                sandbox.clear_faults()
                return self._json(200, {"ok": True})
            if route == "/_sandbox/stats" and verb == "GET":
                return self._json(200, sandbox.stats())
            if route == "/_sandbox/stats/reset" and verb == "POST":
                sandbox.reset_stats()
                return self._json(200, {"ok": True})
            if route == "/_sandbox/seed" and verb == "POST":
                return self._json(200, sandbox.seed(int(body.get("accounts", 300)), int(body.get("seed", 7))))
            if route == "/_sandbox/reset" and verb == "POST":
                sandbox.reset()
                return self._json(200, {"ok": True})
        except (KeyError, ValueError, TypeError) as exc:
            return self._json(400, {"error": str(exc)})
        return self._json(404, {"error": f"no admin route {verb} {route}"})


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], sandbox: Any) -> None:
        super().__init__(address, Handler)
        self.sandbox = sandbox
        self.book: FaultBook = sandbox.book
        self.sessions: Sessions = sandbox.sessions
        self.dispatcher: Dispatcher = sandbox.dispatcher
