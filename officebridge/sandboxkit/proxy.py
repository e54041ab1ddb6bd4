"""A fault-injecting reverse proxy: the kit's one fault vocabulary in front of a REAL server.

A real system (a trytond started by the tests) has no fault injector, yet the
reliability tests must mean the same against it as against a sandbox. The proxy
listens on an ephemeral loopback port, forwards every request to the server,
and applies the kit's request-level faults on the way, through the same HTTP
handler the sandboxes use (`officebridge.sandboxkit.http`), so `rate_limit`,
`server_error`, `slow`, `timeout`, `drop`, `drip` and `raw` act exactly as they
do on a sandbox. Requests are named by a per-system function (for Tryton, the
JSON-RPC method), which is what `operation` matches and `stats()` counts.

What only the system itself could do stays unsupported and is refused when
armed: `expire_sessions` (the proxy issues no sessions) and `record_error` (a
per-record refusal needs the system's own validation); see `UNSUPPORTED`.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from officebridge.sandboxkit import admin
from officebridge.sandboxkit.faults import Fault, FaultBook
from officebridge.sandboxkit.http import SandboxServer, proxy_page
from officebridge.sandboxkit.sessions import Sessions
from officebridge.sandboxkit.stats import Stats
from officebridge.sandboxkit.vocabulary import UNSET, Times
from officebridge.sandboxkit.wire import Answer, Call, Request

Namer = Callable[[Request], str | None]  # a request -> its operation name (None: unnamed)
UNSUPPORTED: Mapping[str, str] = {
    "expire_sessions": "the proxy issues no sessions; only the server can expire its own",
    "record_error": "a per-record refusal needs the server's own validation of each record",
}
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
     "transfer-encoding", "upgrade", "host", "content-length"}
)  # fmt: skip
NOT_PASSED_BACK = HOP_BY_HOP | {"content-type", "server", "date"}  # the handler writes these itself
RATE_LIMIT_PAGE = (
    b"<html><head><title>429 Too Many Requests</title></head><body><center>"
    b"<h1>429 Too Many Requests</h1></center><hr><center>nginx</center></body></html>"
)


def _unnamed(request: Request) -> str | None:
    return None


class FaultProxy:
    """Forwards to `upstream` (`http[s]://host:port`); faults armed with `add_fault` as on a sandbox."""

    server_header: str | None = None

    def __init__(
        self,
        upstream: str,
        operation: Namer = _unnamed,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        upstream_timeout: float = 300.0,
    ) -> None:
        split = urlsplit(upstream)
        if split.scheme not in ("http", "https") or not split.hostname:
            raise ValueError(f"upstream must be http(s)://host:port, not {upstream!r}")
        self.upstream = split
        self.name_operation = operation
        self.host = host
        self.port = port
        self.upstream_timeout = upstream_timeout
        self.faults = FaultBook()
        self.sessions = Sessions()  # required by the handler; never used (expire_sessions is refused)
        self.counter = Stats()
        self._server: SandboxServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> FaultProxy:
        if self._server is None:
            self._server = SandboxServer((self.host, self.port), self, None)
            self.port = int(self._server.server_address[1])
            self._thread = threading.Thread(
                target=self._server.serve_forever, name=f"fault-proxy-{self.port}", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        server, thread, self._server, self._thread = self._server, self._thread, None, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- control plane, as on a sandbox --------------------------------------------------------

    def add_fault(self, kind: str, *, times: Times = UNSET, path: str | None = None, **params: Any) -> None:
        if kind in UNSUPPORTED:
            raise ValueError(f"the fault proxy cannot inject {kind!r}: {UNSUPPORTED[kind]}")
        self.faults.add(kind, times=times, path=path, **params)

    def clear_faults(self) -> None:
        self.faults.clear()

    def stats(self) -> dict[str, Any]:
        return {**self.counter.snapshot(), "faults": self.faults.served()}

    def reset_stats(self) -> None:
        self.counter.reset()
        self.faults.reset_served()

    def admin(self, request: Request) -> Answer:
        routes: dict[tuple[str, str], admin.Route] = {
            ("POST", "/_sandbox/faults"): lambda body: self.add_fault(
                str(body.pop("kind", "")) or _missing_kind(), **body
            ),
            ("DELETE", "/_sandbox/faults"): lambda _: self.clear_faults(),
            ("GET", "/_sandbox/stats"): lambda _: self.stats(),
            ("DELETE", "/_sandbox/stats"): lambda _: self.reset_stats(),
        }
        return admin.handle(routes, request)

    # -- the handler's hooks (officebridge.sandboxkit.http.Engine) -----------------------------

    def admit(self, request: Request) -> Call | Answer:
        return Call(request.path, f"{request.method} {request.path}", self.name_operation(request))

    def rate_limited(self, retry_after: float, call: Call) -> Answer:
        """A 429 as a rate-limiting proxy in front of the server sends it (the server never saw it)."""
        return Answer(429, RATE_LIMIT_PAGE, "text/html")

    def extra_fault(self, fault: Fault, call: Call) -> Answer | None:
        return None  # no kinds of its own

    def answer(self, request: Request, call: Call) -> Answer:
        """The upstream server's answer to the same request; a 502 page when it cannot be reached."""
        up = self.upstream
        factory = http.client.HTTPSConnection if up.scheme == "https" else http.client.HTTPConnection
        conn = factory(up.hostname or "", up.port, timeout=self.upstream_timeout)
        headers = {k: v for k, v in request.headers.items() if k not in HOP_BY_HOP}
        try:
            conn.request(request.method, request.target or request.path, body=request.body or None,
                         headers=headers)  # fmt: skip
            response = conn.getresponse()
            body = response.read()
        except OSError:
            return proxy_page(502)
        finally:
            conn.close()
        passed = {k: v for k, v in response.getheaders() if k.lower() not in NOT_PASSED_BACK}
        content_type = response.getheader("Content-Type") or "application/octet-stream"
        return Answer(response.status, body, content_type, passed)


def _missing_kind() -> str:
    raise ValueError("a fault needs a 'kind'")
