"""The threaded HTTP(S) server every sandbox runs, and the one place faults act on the wire.

The handler reads a request, lets the sandbox name it (`admit`), counts it,
applies at most one request-level fault, and only then lets the sandbox answer.
Faults that concern the connection itself (`server_error`, `slow`, `drop`) are
done here the same way for every system, and so are `drip` (an answer sent byte by byte)
and `raw` (an answer the test wrote: an HTML page, a redirect, a wrong shape);
what a system says (its 429 body, an
expired session) stays in the sandbox. With a TLS context the handshake runs in
the request thread, so one slow client cannot block `accept`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import socket
import ssl
import sys
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

from officebridge.sandboxkit.faults import Fault, FaultBook
from officebridge.sandboxkit.sessions import Sessions
from officebridge.sandboxkit.stats import Stats
from officebridge.sandboxkit.wire import Answer, Call, Request

log = logging.getLogger(__name__)
ADMIN_PREFIX = "/_sandbox/"
PROXY_PAGE = (
    "<html><head><title>{0} {1}</title></head><body><center><h1>{0} {1}</h1></center>"
    "<hr><center>nginx</center></body></html>"
)


class Engine(Protocol):
    """What the handler needs from a sandbox (SandboxBase provides it)."""

    faults: FaultBook
    sessions: Sessions
    counter: Stats
    server_header: str | None

    def admit(self, request: Request) -> Call | Answer: ...
    def answer(self, request: Request, call: Call) -> Answer: ...
    def rate_limited(self, retry_after: float, call: Call) -> Answer: ...
    def extra_fault(self, fault: Fault, call: Call) -> Answer | None: ...
    def admin(self, request: Request) -> Answer: ...


def proxy_page(status: int) -> Answer:
    """A 5xx as the proxy in front of a crashed or overloaded worker sends it: HTML, not the API's JSON."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Server Error"
    return Answer(status, PROXY_PAGE.format(status, reason).encode(), "text/html")


def _raw(params: dict[str, Any]) -> Answer:
    body = params["body"]
    data = body if isinstance(body, bytes) else (body if isinstance(body, str) else json.dumps(body)).encode()
    headers = {str(k): str(v) for k, v in (params["headers"] or {}).items()}
    return Answer(int(params["status"]), data, str(params["content_type"]), headers)


class SandboxServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], engine: Engine, context: ssl.SSLContext | None) -> None:
        self.engine = engine
        self.context = context
        super().__init__(address, Handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = self.socket.accept()
        if self.context is None:
            return sock, addr
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up or fails TLS is ordinary traffic: one debug line, no traceback."""
        if isinstance(sys.exc_info()[1], OSError):
            log.debug("connection from %s ended: %r", client_address, sys.exc_info()[1])
        else:
            log.error("error while serving %s", client_address, exc_info=True)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave together; no delayed-ACK stalls
    wbufsize = 64 * 1024
    server: SandboxServer

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("sandbox: " + format, *args)

    def version_string(self) -> str:
        return self.server.engine.server_header or super().version_string()

    # -- connection plumbing: quiet about clients that go away ---------------------------------

    def setup(self) -> None:
        super().setup()
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.settimeout(30)
                self.connection.do_handshake()
            except OSError as exc:  # includes ssl.SSLError: e.g. a client that does not trust the CA
                log.debug("TLS handshake with %s failed: %r", self.client_address, exc)
                self.close_connection = True
                self.rfile = self.wfile = None  # type: ignore[assignment]

    def handle(self) -> None:
        if self.rfile is None:
            return
        try:
            super().handle()
        except OSError as exc:
            log.debug("connection from %s dropped: %r", self.client_address, exc)
            self.close_connection = True

    def finish(self) -> None:
        if self.wfile is None:
            return
        try:
            super().finish()
        except OSError as exc:
            log.debug("closing connection from %s: %r", self.client_address, exc)

    # -- one request ---------------------------------------------------------------------------

    def do_GET(self) -> None:
        engine = self.server.engine
        request = self._read()
        if request.path.startswith(ADMIN_PREFIX):
            return self._send(engine.admin(request))
        admitted = engine.admit(request)
        if isinstance(admitted, Answer):  # refused before it reaches the system (e.g. a head too large)
            return self._send(admitted)
        engine.counter.count(admitted)
        fault = engine.faults.take(admitted)
        early, drop = self._fault(engine, fault, admitted) if fault else (None, None)
        if drop is False:  # drop before: the request is never applied
            self.close_connection = True
            return None
        if fault is not None and fault.name == "raw" and fault.params["after"]:
            self._answer(engine, request, admitted)  # applied; the written answer replaces the system's
        answer = early or self._answer(engine, request, admitted)
        if drop:  # drop after: the request was applied, its answer is lost
            self.close_connection = True
            return None
        if fault is not None and fault.name == "drip":
            return self._drip(answer, float(fault.params["interval"]))
        return self._send(answer)

    do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = do_GET

    def _fault(self, engine: Engine, fault: Fault, call: Call) -> tuple[Answer | None, bool | None]:
        """(an answer instead of the system's, or None to go on; whether to drop, after or before)."""
        p = fault.params
        if fault.name in ("slow", "timeout"):
            time.sleep(float(p["seconds"]))  # before applying: the write lands after the client gave up
        elif fault.name == "expire_sessions":
            engine.sessions.expire_all()
        if fault.name in ("slow", "timeout", "expire_sessions", "drip"):  # drip: sent slowly by _drip
            return None, None
        if fault.name == "drop":
            return None, bool(p["after"])
        canned = {"server_error": lambda: proxy_page(int(p["status"])), "raw": lambda: _raw(p)}
        if fault.name in canned:
            return canned[fault.name](), None
        if fault.name == "rate_limit":
            answer = engine.rate_limited(float(p["retry_after"]), call)
            retry = p["retry_after"]
            headers = {**call.headers, **answer.headers, "Retry-After": str(retry)}
            return Answer(429, answer.body, answer.content_type, headers), None
        return engine.extra_fault(fault, call), None

    def _answer(self, engine: Engine, request: Request, call: Call) -> Answer:
        try:
            with engine.faults.serving(call):
                answer = engine.answer(request, call)
        except Exception:  # a sandbox bug: say so, keep serving
            log.exception("sandbox failed on %s %s", request.method, request.path)
            return proxy_page(500)
        if call.headers:
            answer = dataclasses.replace(answer, headers={**call.headers, **answer.headers})
        return answer

    def _drip(self, answer: Answer, interval: float) -> None:
        """Status line, headers and body, one byte at a time: each read is quick, the answer is not."""
        self._send(answer, flush=False)
        head: list[bytes] = getattr(self, "_headers_buffer", [])  # http.server's buffered head
        data = b"".join(head)
        head.clear()
        self.close_connection = True
        body = answer.body if answer.status != 204 and self.command != "HEAD" else b""
        for byte in data + body:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(interval)

    def _read(self) -> Request:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        head = len(self.requestline.encode("latin-1", "replace")) + 2
        head += sum(len(k) + len(v) + 4 for k, v in self.headers.items())
        return Request(
            method=self.command,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
            target=self.path,
            head_size=head,
        )

    def _send(self, answer: Answer, *, flush: bool = True) -> None:
        self.send_response(answer.status)
        if answer.status != 204:
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
        for key, value in answer.headers.items():
            self.send_header(key, value)
        if answer.close:
            self.send_header("Connection", "close")
            self.close_connection = True
        if not flush:  # the caller sends the buffered head itself (drip)
            head: list[bytes] = getattr(self, "_headers_buffer", [])
            head.append(b"\r\n")
            return
        self.end_headers()
        if answer.status != 204 and self.command != "HEAD":
            self.wfile.write(answer.body)
