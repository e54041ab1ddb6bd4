"""The pipelined run: page N+1 is read while page N is written, and nothing else changes.

Reading ahead must keep the crash-safety of a sequential run: pages are
planned, written and committed in order, and when the read of page N+1 fails,
page N is committed with its watermark exactly after it, and nothing of page
N+1 is written. The reads go through the in-memory system's own fault
vocabulary (a 500 on `account.read`), armed once page N has been read.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from officebridge.connector import Page, ReadRequest
from officebridge.errors import OfficeBridgeError
from officebridge.sync.counts import Counts
from officebridge.sync.run import RunOptions
from officebridge.sync.runner import run_mapping
from officebridge.testing.memory.connector import MemoryConnector
from tests.unit.sync.conftest import Pair

PAGE = 5  # 20 accounts: four pages


def _pages_then(monkeypatch: pytest.MonkeyPatch, after: int, then: Any) -> list[str]:
    """Wrap the memory connector's read: after `after` pages, call `then()` once; returns reader threads."""
    original = MemoryConnector.read
    threads: list[str] = []
    done: list[bool] = []

    def read(self: MemoryConnector, request: ReadRequest) -> Iterator[Page]:
        for n, page in enumerate(original(self, request), start=1):
            threads.append(threading.current_thread().name)
            yield page
            if n == after and not done:
                done.append(True)
                then()

    monkeypatch.setattr(MemoryConnector, "read", read)
    return threads


def test_a_failing_read_of_the_next_page_leaves_the_page_before_committed(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OFFICEBRIDGE_RETRY_ATTEMPTS", "2")
    monkeypatch.setenv("OFFICEBRIDGE_RETRY_BASE", "0")
    crm = sorted(pair.crm.rows("account"), key=lambda r: (r["updated_at"], r["id"]))
    threads = _pages_then(
        monkeypatch,
        2,
        lambda: pair.crm.add_fault("server_error", times=None, operation="account.read", status=500),
    )
    with pytest.raises(OfficeBridgeError):
        run_mapping(pair.accounts, pair.store, RunOptions(read_batch=PAGE, read_ahead=2))
    assert threads and all(name != threading.main_thread().name for name in threads)  # read in the reader

    first_two = crm[: 2 * PAGE]
    assert set(pair.erp_rows("account")) == {r["id"] for r in first_two}  # nothing of page 3 written
    links = pair.store.links("crm_accounts", [r["id"] for r in crm])
    assert set(links) == {r["id"] for r in first_two}
    assert pair.store.watermark("crm_accounts") == first_two[-1]["updated_at"]  # exactly after page 2
    assert pair.store.last_run("crm_accounts").status == "failed"  # type: ignore[union-attr]

    pair.crm.clear_faults()
    again = pair.run(pair.accounts, read_batch=PAGE)
    assert (again.status, again.counts.failed) == ("succeeded", 0)
    assert set(pair.erp_rows("account")) == {r["id"] for r in crm}  # the rest, once
    assert len(pair.erp.rows("account")) == len(crm)


def test_the_next_page_is_read_while_a_page_is_written(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    second_read = threading.Event()
    _pages_then(monkeypatch, 2, second_read.set)  # set once page 2 is handed over and page 3 requested
    seen: list[bool] = []

    def progress(_counts: Counts) -> None:
        if not seen:  # page 1 written and committed: page 2 was read meanwhile, by the reader
            seen.append(second_read.wait(10))

    result = run_mapping(pair.accounts, pair.store, RunOptions(read_batch=PAGE, read_ahead=2), progress)
    assert seen == [True]
    assert (result.status, result.counts.created) == ("succeeded", 20)
    assert pair.store.watermark("crm_accounts") == max(r["updated_at"] for r in pair.crm.rows("account"))


def test_without_read_ahead_the_run_reads_inline(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    threads = _pages_then(monkeypatch, 99, lambda: None)
    result = run_mapping(pair.accounts, pair.store, RunOptions(read_batch=PAGE, read_ahead=0))
    assert result.counts.created == 20
    assert set(threads) == {threading.current_thread().name}
