"""SandboxBase: the lifecycle and control plane a sandbox inherits, leaving it only its protocol.

A sandbox subclass supplies `system`, `default_port`, `reset`, `seed`,
`connection_value` and the protocol hooks (`admit`, `answer`, `rate_limited`,
and `extra_fault` for kinds of its own); everything a test steers from
outside (faults, sessions, stats, admin routes, start/stop) is here once.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from officebridge.sandboxkit import admin
from officebridge.sandboxkit.faults import Fault, FaultBook
from officebridge.sandboxkit.http import SandboxServer
from officebridge.sandboxkit.sessions import Sessions
from officebridge.sandboxkit.stats import Stats
from officebridge.sandboxkit.vocabulary import UNSET, Kind, Times
from officebridge.sandboxkit.wire import Answer, Call, Request


class SandboxBase:
    system: ClassVar[str]
    default_port: ClassVar[int]
    extra_kinds: ClassVar[Mapping[str, Kind]] = {}
    scheme: ClassVar[str] = "http"  # "https" when `tls_context` gives a context
    server_header: str | None = None  # the Server header the real system sends, if it matters

    def __init__(self, home: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.home = Path(home)
        self.home.mkdir(parents=True, exist_ok=True)
        self.host = host
        self.port = port
        self.faults = FaultBook(self.extra_kinds)
        self.sessions = self.make_sessions()
        self.counter = Stats()
        self._server: SandboxServer | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- hooks for the protocol side --------------------------------------------------------------

    def make_sessions(self) -> Sessions:
        return Sessions()

    def tls_context(self) -> ssl.SSLContext | None:
        """A server TLS context to serve HTTPS, or None for plain HTTP."""
        return None

    def admit(self, request: Request) -> Call | Answer:
        """Name the request (route, operation), or refuse it before it reaches the system."""
        raise NotImplementedError

    def answer(self, request: Request, call: Call) -> Answer:
        raise NotImplementedError

    def rate_limited(self, retry_after: float, call: Call) -> Answer:
        """The system's own 429 body (the kit sets the status and Retry-After)."""
        raise NotImplementedError

    def extra_fault(self, fault: Fault, call: Call) -> Answer | None:
        """The answer for a kind in `extra_kinds` (None: serve the request normally)."""
        raise NotImplementedError(fault.name)

    def admin_routes(self) -> dict[tuple[str, str], admin.Route]:
        """Extra `/_sandbox/` routes of this system, besides the common ones."""
        return {}

    def extra_stats(self) -> dict[str, Any]:
        return {}

    def reset(self) -> None:
        raise NotImplementedError

    def seed(self, accounts: int = 300, seed: int = 7) -> dict[str, int]:
        raise NotImplementedError

    def connection_value(self) -> str:
        raise NotImplementedError

    # -- lifecycle --------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def listen(self) -> None:
        """Bind the socket (once); afterwards `port` is the real port even when 0 was asked."""
        with self._lock:
            if self._server is None:
                self._server = SandboxServer((self.host, self.port), self, self.tls_context())
                self.port = self._server.server_address[1]

    def start(self) -> None:
        self.listen()
        with self._lock:
            if self._thread is None and self._server is not None:
                name = f"{self.system}-sandbox-{self.port}"
                self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)
                self._thread.start()

    def serve_forever(self) -> None:
        self.listen()
        assert self._server is not None
        self._server.serve_forever()

    def stop(self) -> None:
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> SandboxBase:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- control plane ----------------------------------------------------------------------------

    def add_fault(self, kind: str, *, times: Times = UNSET, path: str | None = None, **params: Any) -> None:
        self.faults.add(kind, times=times, path=path, **params)

    def seed_faults(self, seed: int) -> None:
        """Repeatable `chance` draws (a storm that can be replayed)."""
        self.faults.seed(seed)

    def clear_faults(self) -> None:
        self.faults.clear()

    def stats(self) -> dict[str, Any]:
        return {**self.counter.snapshot(), "faults": self.faults.served(), **self.extra_stats()}

    def reset_stats(self) -> None:
        self.counter.reset()
        self.faults.reset_served()

    def expire_sessions(self) -> None:
        self.sessions.expire_all()

    def admin(self, request: Request) -> Answer:
        return admin.handle({**admin.common_routes(self), **self.admin_routes()}, request)
