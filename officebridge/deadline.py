"""An overall deadline per remote call, enforced on the call's sockets.

A socket timeout bounds each read, not the call: a server that drips its answer
a byte at a time, each byte within the read timeout, keeps a client waiting for
as long as it likes. A `Deadline` is a timer armed around one call (`with
Deadline(30) as d: ...`). Connection classes of the HTTP clients register the
sockets they use with the deadline of the current thread (`watch`); when the
timer fires it shuts those sockets down, so a blocked read returns at once and
the client raises its own connection error. The connector then asks
`d.expired` to report that error as the deadline it is, not as a dropped
connection. The shutdown goes to the raw socket, under TLS too, so the TLS
object the reading thread still holds stays intact.
"""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

_local = threading.local()


class Deadline:
    """At most `seconds` for everything between `__enter__` and `__exit__` on watched sockets."""

    def __init__(self, seconds: float) -> None:
        self.seconds = float(seconds)
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._outer: Deadline | None = None
        self._started = 0.0

    def __enter__(self) -> Deadline:
        self._started = time.monotonic()
        self._outer = current()
        _local.deadline = self
        self._timer = threading.Timer(self.seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._timer is not None:
            self._timer.cancel()
        _local.deadline = self._outer
        with self._lock:
            self._sockets.clear()

    def remaining(self) -> float:
        return max(0.0, self.seconds - (time.monotonic() - self._started))

    def watch(self, sock: socket.socket | None) -> None:
        """Shut `sock` down when the deadline passes (at once if it already has)."""
        if sock is None:
            return
        with self._lock:
            if not self.expired:
                self._sockets.append(sock)
                return
        _shutdown(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the raw socket, also under an SSLSocket
    except OSError:
        pass  # already closed: nothing left to unblock


def current() -> Deadline | None:
    """The deadline armed in this thread, if any."""
    found: Deadline | None = getattr(_local, "deadline", None)
    return found


def watch(sock: socket.socket | None) -> None:
    """Register `sock` with this thread's deadline; a no-op outside one."""
    deadline = current()
    if deadline is not None:
        deadline.watch(sock)
