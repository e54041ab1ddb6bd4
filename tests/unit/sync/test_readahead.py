"""ReadAhead: bounded, ordered, errors in their place, and a reader that stops when the run does."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from officebridge.sync.readahead import ReadAhead, read_ahead


def _source(produced: list[int], n: int, fail_at: int | None = None) -> Iterator[int]:
    for i in range(n):
        if i == fail_at:
            raise RuntimeError(f"read {i} failed")
        produced.append(i)
        yield i


def _settle(produced: list[int]) -> int:
    """The count once the reader stops producing (it blocks on the full queue)."""
    last = -1
    while len(produced) != last:
        last = len(produced)
        time.sleep(0.05)
    return last


def test_pages_come_in_order_and_the_reader_stays_depth_pages_ahead() -> None:
    produced: list[int] = []
    pages = iter(ReadAhead(_source(produced, 1000), depth=2))
    assert next(pages) == 0
    # one taken, two queued, one read and waiting for room: never the whole input
    assert _settle(produced) <= 4
    assert list(pages) == list(range(1, 1000))


def test_an_error_arrives_after_the_pages_read_before_it() -> None:
    got: list[int] = []
    with pytest.raises(RuntimeError, match="read 3 failed"):
        for page in read_ahead(_source([], 10, fail_at=3), 2):
            got.append(page)
    assert got == [0, 1, 2]


def test_stopping_early_stops_the_reader_and_closes_the_source() -> None:
    produced: list[int] = []
    closed = threading.Event()

    def source() -> Iterator[int]:
        try:
            yield from _source(produced, 10_000)
        finally:
            closed.set()

    ahead = ReadAhead(source(), depth=2)
    for page in ahead:
        if page == 1:
            break
    ahead.close()
    assert closed.wait(5)
    assert _settle(produced) < 10


def test_depth_zero_is_the_source_itself() -> None:
    source = _source([], 3)
    assert read_ahead(source, 0) is source
