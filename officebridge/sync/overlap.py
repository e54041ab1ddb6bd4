"""Planning the next page while the last write of this one is in flight.

A write call mostly waits for the target to answer. While a page's last write
chunk is out, the run takes the next page and plans it (map, references,
links, match, quality): work that otherwise starts only once the answer is in.
Nothing about what is committed changes: the chunk's outcome, then the page's
watermark, are committed exactly as before and in the same order; the next
page's plans are only read from the state store, and planning never writes.

The plans made ahead are kept only when they cannot depend on the write in
flight; otherwise the page is planned again after it, as it would have been:

- a record of the next page that is also in this page (read twice) is planned
  after this page commits (`independent`);
- a mapping that looks references up in its own target object, or through its
  own links, never plans ahead (`Planner.can_plan_ahead`);
- a plan ahead that failed (a reference not found, a bad key) or holds a match
  key of the chunk in flight is dropped and made again after the commit;
- if the write in flight raises, the plans ahead are dropped and the planner's
  own state (what `has_values` spared) restored, so the retry of this page is
  planned as if nothing had been planned ahead.

The target connector is called from two threads then (the write, and the
lookups of planning), so calls to it are serialized (`Serialized`): a lookup
made ahead waits for the write to finish rather than share its connection.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Serialized:
    """A connector whose calls (from any thread) run one at a time."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.lock = threading.RLock()

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if not callable(value):
            return value

        def locked(*args: Any, **kwargs: Any) -> Any:
            with self.lock:
                return value(*args, **kwargs)

        return locked


def in_flight(call: Callable[[], T], meanwhile: Callable[[], None]) -> T:
    """Run `call` on a writer thread (in this context: retry counting, secrets) while
    `meanwhile` runs here; then its result, or its exception, as if called here."""
    box: list[T] = []
    failed: list[BaseException] = []
    context = contextvars.copy_context()

    def work() -> None:
        try:
            box.append(context.run(call))
        except BaseException as exc:  # handed to the caller below, whatever it is
            failed.append(exc)

    writer = threading.Thread(target=work, name="officebridge-write", daemon=True)
    writer.start()
    try:
        meanwhile()
    finally:
        writer.join()
    if failed:
        raise failed[0]
    return box[0]


class Feed(Generic[T]):
    """Pages taken one by one, by the loop or ahead of it; a read error waits for its turn.

    An error raised by the source while a page is taken ahead is kept and raised
    when the loop itself asks for that page, after the page before is committed.
    """

    def __init__(self, pages: Iterator[T]) -> None:
        self._pages = pages
        self._held: list[T | None] = []
        self._error: BaseException | None = None

    def take(self) -> T | None:
        """The next page (None at the end), the one taken ahead first; raises a kept read error."""
        if self._held:
            return self._held.pop()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return next(self._pages, None)

    def peek(self) -> T | None:
        """The next page without using it up; None at the end or when reading it failed."""
        if not self._held and self._error is None:
            try:
                self._held.append(next(self._pages, None))
            except Exception as exc:  # raised in order by take()
                self._error = exc
                return None
        return self._held[0] if self._held else None


@dataclass
class Ahead:
    """The plans made for the next page while a write was in flight, if they may be used."""

    records: list[Any]
    plans: list[Any] | None
    restore: Callable[[], None] = field(default=lambda: None)

    def drop(self) -> None:
        """Forget the plans and put the planner's state back as it was before they were made."""
        if self.plans is not None:
            self.plans = None
            self.restore()
