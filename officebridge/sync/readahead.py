"""Read-ahead of source pages: page N+1 is fetched while page N is mapped, written and committed.

One reader thread pulls the source's page iterator into a bounded queue
(`depth` pages: memory stays bounded whatever the input size); the run takes
pages from it in order, in its own thread, so planning, writing and every
commit stay exactly as sequential and in page order as without read-ahead.
Only the reading overlaps. A read error is handed over in its place in the
queue: the run sees the pages before it, commits them (with their
watermark), and then the error, exactly as it would reading inline. When the
run stops early (an error of its own, or a preview that has enough), `close`
tells the reader to stop and waits for it; the reader closes the source's
iterator in its own thread (a running generator cannot be closed from
another one).

The reader runs in a copy of the caller's context, so retries it makes are
counted in the run's detail (`officebridge.retry.counting`) as before.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")

_POLL = 0.1  # seconds between checks of the stop flag while the queue is full
_JOIN = 5.0  # how long `close` waits for a reader in a slow read (then it stops at its next page)


class _End:
    pass


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


_END = _End()


class ReadAhead(Generic[T]):
    """Iterate `pages` in a reader thread, at most `depth` pages ahead of the consumer."""

    def __init__(self, pages: Iterator[T], *, depth: int = 2, name: str = "officebridge-read-ahead") -> None:
        self._pages = pages
        self._queue: queue.Queue[T | _End | _Failed] = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        context = contextvars.copy_context()
        self._thread = threading.Thread(target=context.run, args=(self._fill,), name=name, daemon=True)
        self._started = False

    def _put(self, item: T | _End | _Failed) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def _fill(self) -> None:
        try:
            for page in self._pages:
                if not self._put(page):
                    return
            self._put(_END)
        except BaseException as exc:
            self._put(_Failed(exc))
        finally:
            close = getattr(self._pages, "close", None)
            if close is not None:
                close()

    def __iter__(self) -> Iterator[T]:
        if not self._started:
            self._started = True
            self._thread.start()
        try:
            while True:
                item = self._queue.get()
                if isinstance(item, _End):
                    return
                if isinstance(item, _Failed):
                    raise item.error
                yield item
        finally:
            self.close()

    def close(self) -> None:
        """Stop the reader (it finishes the read in flight, if any) and wait for it."""
        self._stop.set()
        while True:  # unblock a reader waiting on a full queue
            try:
                self._queue.get_nowait()
            except queue.Empty:
                break
        if self._started and self._thread is not threading.current_thread():
            self._thread.join(_JOIN)


def read_ahead(pages: Iterator[T], depth: int) -> Iterator[T]:
    """`pages` with a reader thread `depth` pages ahead, or `pages` itself when depth is 0."""
    if depth <= 0:
        return pages
    return iter(ReadAhead(pages, depth=depth))
