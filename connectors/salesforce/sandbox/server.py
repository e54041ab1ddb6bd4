"""HTTPS server plumbing: TLS, routing to login/REST/admin, faults, stats, limit header.

One threaded server answers every request; the TLS handshake runs in the request
thread (not in `accept`), so one slow client cannot block the others. Faults and
statistics are applied here, in one place, before any protocol code runs, which
is what makes them behave the same for every route.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import socket
import ssl
import sys
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from connectors.salesforce.sandbox.auth import oauth_token, soap_fault, soap_login
from connectors.salesforce.sandbox.control import REQUEST
from connectors.salesforce.sandbox.errors import SfError
from connectors.salesforce.sandbox.rest import SUPPORTED_VERSIONS, Request, versions_list

if TYPE_CHECKING:
    from connectors.salesforce.sandbox.sandbox import SalesforceSandbox

API_LIMIT = 15000
# Salesforce's documented cap on one REST call: request line plus headers, in bytes. A URI alone over
# it is refused with 414, a request whose headers push it over with 431 (Salesforce help 000386264).
MAX_REQUEST_HEAD = 16384
log = logging.getLogger(__name__)
_DATA_RE = re.compile(r"^/services/data/v(\d+\.\d+)(?:/(.*))?$")
_SOAP_RE = re.compile(r"^/services/Soap/u/(\d+\.\d+)(?:/.*)?$")
_ID_LIKE = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")


def route_name(method: str, path: str) -> str:
    """A stable route label for stats: ids, locators and external-id values become placeholders."""
    m = _DATA_RE.match(path.rstrip("/"))
    if not m:
        return f"{method} {path.rstrip('/') or '/'}"
    parts = [x for x in (m.group(2) or "").split("/") if x]
    shown = []
    for i, part in enumerate(parts):
        if i >= 1 and parts[0] in ("query", "queryAll"):
            shown.append("{locator}")
        elif parts[0] == "sobjects" and i == 3:
            shown.append("{value}")
        elif parts[0] == "sobjects" and i == 2 and _ID_LIKE.match(part):
            shown.append("{id}")
        else:
            shown.append(part)
    return f"{method} /services/data/vXX.X/" + "/".join(shown)


def unknown_exception() -> dict[str, str]:
    """Salesforce's answer to an internal failure: HTTP 500, UNKNOWN_EXCEPTION, an ErrorId to quote."""
    error_id = f"{secrets.randbelow(10**10)}-{secrets.randbelow(10**6)} ({secrets.randbelow(2**31)})"
    return {
        "message": "An unexpected error occurred. Please include this ErrorId if you contact support: "
        + error_id,
        "errorCode": "UNKNOWN_EXCEPTION",
    }


def server_error_body(status: int) -> dict[str, str]:
    """The default error item of a `server_error` fault: what Salesforce says with that status."""
    if status == 500:
        return unknown_exception()
    return {
        "message": "Server temporarily unavailable. Please retry later.",
        "errorCode": "SERVER_UNAVAILABLE",
    }


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr: tuple[str, int], handler: Any, context: ssl.SSLContext, sandbox: Any) -> None:
        self.context = context
        self.sandbox = sandbox
        super().__init__(addr, handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = self.socket.accept()
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up or fails TLS is ordinary traffic: one debug line, no traceback.

        socketserver's default prints a traceback to stderr for anything raised while handling a
        connection; that is kept (through logging) only for what would be a sandbox bug.
        """
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):  # ssl.SSLError, ConnectionResetError, BrokenPipeError, timeouts
            log.debug("connection from %s ended: %r", client_address, exc)
        else:
            log.error("error while serving %s", client_address, exc_info=True)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave together; no delayed-ACK stalls on keep-alive
    wbufsize = 64 * 1024
    server: _TLSServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        try:
            self.connection.settimeout(30)
            self.connection.do_handshake()  # type: ignore[attr-defined]
        except OSError as exc:  # includes ssl.SSLError: e.g. a client that does not trust our CA
            log.debug("TLS handshake with %s failed: %r", self.client_address, exc)
            self.close_connection = True
            self.rfile = self.wfile = None  # type: ignore[assignment]

    def finish(self) -> None:
        """Flush and close quietly: after a failed handshake there is nothing to flush, and a
        client that already hung up makes the final flush fail (SSLEOFError, broken pipe)."""
        if self.wfile is None:
            return
        try:
            super().finish()
        except OSError as exc:
            log.debug("closing connection from %s: %r", self.client_address, exc)

    def handle(self) -> None:
        if self.rfile is None:
            return
        try:
            super().handle()
        except OSError as exc:  # ConnectionError, ssl.SSLError, TimeoutError: the client went away
            log.debug("connection from %s dropped: %r", self.client_address, exc)
            self.close_connection = True

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = do_GET

    # -- plumbing -----------------------------------------------------------------------------
    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        if status != 204:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if status != 204 and self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json;charset=UTF-8", headers)

    def _too_large(self) -> bool:
        """Refuse a request head over Salesforce's 16,384-byte limit the way its front end does.

        The status follows the documented rule (414 when the URI alone is too long, else 431); the
        small HTML body mirrors what clients have reported receiving (`<h1>Bad Message 414</h1>...`).
        The connection is closed, since any body is left unread.
        """
        uri = len(self.path.encode("latin-1", "replace"))
        head = len(self.requestline.encode("latin-1", "replace")) + 2
        head += sum(len(k) + len(v) + 4 for k, v in self.headers.items())
        if uri > MAX_REQUEST_HEAD:
            status, reason = 414, "URI Too Long"
        elif head > MAX_REQUEST_HEAD:
            status, reason = 431, "Request Header Fields Too Large"
        else:
            return False
        self.close_connection = True
        body = f"<h1>Bad Message {status}</h1><pre>reason: {reason}</pre>".encode()
        self._send(status, body, "text/html;charset=iso-8859-1", {"Connection": "close"})
        return True

    def _dispatch(self) -> None:
        sb: SalesforceSandbox = self.server.sandbox
        if self._too_large():
            return
        split = urlsplit(self.path)
        path = split.path
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if path.startswith("/_sandbox/"):
            self._admin(sb, path, raw)
            return
        REQUEST.path = path
        is_api = path.startswith("/services/data/v")
        usage = sb.stats_tracker.count(route_name(self.command, path), is_api)
        limit_header = {"Sforce-Limit-Info": f"api-usage={usage}/{API_LIMIT}"} if is_api else {}
        fault = sb.faults.take(path)
        if fault is not None and self._apply_fault(sb, fault, limit_header):
            return
        try:
            self._route(sb, path, params, raw, limit_header)
        except SfError as exc:
            self._json(exc.status, exc.rest_body(), limit_header)
        except Exception:  # a sandbox bug: answer like Salesforce's own internal error, keep serving
            log.exception("internal error on %s %s", self.command, path)
            self._json(500, [unknown_exception()], limit_header)

    def _apply_fault(self, sb: SalesforceSandbox, fault: Any, headers: dict[str, str]) -> bool:
        """Answer with the fault, or (for timeout / expire_sessions) prepare it and go on normally."""
        kind, p = fault.kind, fault.params
        if kind == "timeout":
            time.sleep(float(p.get("delay", 5)))
            return False
        if kind == "expire_sessions":
            sb.sessions.expire_all()
            return False
        if kind == "rate_limit":
            retry = str(p.get("retry_after", 1))
            body = [
                {
                    "message": "Too many requests. Retry after the period in Retry-After.",
                    "errorCode": "REQUEST_LIMIT_EXCEEDED",
                }
            ]
            self._json(429, body, {**headers, "Retry-After": retry})
            return True
        if kind == "request_limit":
            self._json(
                403,
                [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
                headers,
            )
            return True
        if kind == "server_error":
            status = int(p.get("status", 503))
            default = server_error_body(status)
            body = [
                {
                    "message": p.get("message", default["message"]),
                    "errorCode": p.get("error_code", default["errorCode"]),
                }
            ]
            self._json(status, body, headers)
            return True
        return False

    def _route(
        self, sb: SalesforceSandbox, path: str, params: dict[str, str], raw: bytes, headers: dict[str, str]
    ) -> None:
        m = _SOAP_RE.match(path)
        if m and self.command == "POST":
            status, body = soap_login(raw, sb.user, sb.sessions.issue, sb.url, m.group(1))
            self._send(status, body, "text/xml;charset=UTF-8")
            return
        if path.rstrip("/") == "/services/oauth2/token" and self.command == "POST":
            status, payload = oauth_token(raw, sb.user, sb.sessions.issue, sb.url)
            self._json(status, payload)
            return
        if path.rstrip("/") == "/services/data":
            self._json(200, versions_list())
            return
        m = _DATA_RE.match(path)
        if not m:
            raise SfError("NOT_FOUND", "The requested resource does not exist", status=404)
        if m.group(1) not in SUPPORTED_VERSIONS:
            raise SfError("NOT_FOUND", "The requested resource does not exist", status=404)
        auth = self.headers.get("Authorization") or ""
        token = auth[7:].strip() if auth.lower().startswith(("bearer ", "oauth ")) else None
        if not sb.sessions.valid(token):
            raise SfError("INVALID_SESSION_ID", "Session expired or invalid", status=401)
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                raise SfError(
                    "JSON_PARSER_ERROR", "Unexpected character in the request body: not JSON"
                ) from None
        parts = [x for x in (m.group(2) or "").split("/") if x]
        req = Request(
            self.command,
            parts,
            params,
            body,
            {k.lower(): v for k, v in self.headers.items()},
            m.group(1),
            path,
        )
        status, payload = sb.rest.handle(req)
        self._json(status, payload, headers)

    def _admin(self, sb: SalesforceSandbox, path: str, raw: bytes) -> None:
        try:
            body = json.loads(raw) if raw else {}
            action = (self.command, path.rstrip("/"))
            handlers: dict[tuple[str, str], Callable[[], Any]] = {
                ("POST", "/_sandbox/faults"): lambda: sb.add_fault(**body),
                ("DELETE", "/_sandbox/faults"): sb.clear_faults,
                ("GET", "/_sandbox/stats"): sb.stats,
                ("POST", "/_sandbox/stats/reset"): sb.reset_stats,
                ("POST", "/_sandbox/seed"): lambda: sb.seed(**body),
                ("POST", "/_sandbox/reset"): sb.reset,
                ("POST", "/_sandbox/touch"): lambda: sb.touch(body["object"], body["ids"], body["at"]),
            }
            fn = handlers.get(action)
            if fn is None:
                self._json(404, {"error": f"no admin route {self.command} {path}"})
                return
            result = fn()
            self._json(200, result if result is not None else {"ok": True})
        except (TypeError, ValueError, KeyError) as exc:
            self._json(400, {"error": str(exc)})


def make_server(host: str, port: int, context: ssl.SSLContext, sandbox: Any) -> _TLSServer:
    return _TLSServer((host, port), Handler, context, sandbox)


__all__ = ["make_server", "route_name", "soap_fault"]
