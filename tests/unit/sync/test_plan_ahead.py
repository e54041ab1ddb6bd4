"""Planning the next page while a page's last write is in flight changes nothing that is committed.

Each test runs the same sync with planning ahead on (the default) and checks
what a user sees: every record once in the target, every link, the watermark,
and, where a write fails or a record is read twice, the same outcome as a run
that plans page by page. The writes are slowed a little so that the planning
of the next page does happen while one is in flight.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from officebridge.connector import Page, ReadRequest, WriteOp, WriteResult
from officebridge.errors import OfficeBridgeError
from officebridge.retry import RetryPolicy
from officebridge.state import StateStore
from officebridge.sync.plan import Planner
from officebridge.sync.run import RunOptions
from officebridge.sync.runner import run_mapping
from officebridge.testing.memory.connector import MemoryConnector
from tests.unit.sync.conftest import Pair

PAGE = 5  # 20 accounts: four pages


class Flights:
    """Slows the target's writes and notes which plans were made while one was out."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.out = threading.Event()
        self.planned_during_write: list[list[str]] = []
        self.written: list[str] = []
        write, plan = MemoryConnector.write, Planner.plan
        flights = self

        def slow_write(conn: MemoryConnector, obj: str, ops: Sequence[WriteOp]) -> list[WriteResult]:
            if obj == "account" and conn.settings.conn_id == "erp_test":
                flights.out.set()
                try:
                    time.sleep(0.05)
                    results = write(conn, obj, ops)
                    flights.written += [op.ref for op in ops]
                    return results
                finally:
                    flights.out.clear()
            return write(conn, obj, ops)

        def watched_plan(planner: Planner, records: list[Any]) -> Any:
            if flights.out.is_set():
                flights.planned_during_write.append([r.id for r in records])
            return plan(planner, records)

        monkeypatch.setattr(MemoryConnector, "write", slow_write)
        monkeypatch.setattr(Planner, "plan", watched_plan)


def _values(pair: Pair) -> dict[str, dict[str, Any]]:
    return {k: {f: v for f, v in r.items() if f != "updated_at"} for k, r in pair.erp_rows("account").items()}


def _crm_ids(pair: Pair) -> list[str]:
    return [r["id"] for r in sorted(pair.crm.rows("account"), key=lambda r: (r["updated_at"], r["id"]))]


def test_the_next_page_is_planned_while_the_last_write_of_a_page_is_out(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    flights = Flights(monkeypatch)
    result = run_mapping(pair.accounts, pair.store, RunOptions(read_batch=PAGE))
    ids = _crm_ids(pair)
    assert (result.status, result.counts.created, result.counts.failed) == ("succeeded", 20, 0)
    assert flights.planned_during_write  # pages 2, 3 and 4 were planned while a write was in flight
    assert all(len(page) == PAGE for page in flights.planned_during_write)
    assert sorted(flights.written) == sorted(ids)  # each record written once
    assert set(pair.erp_rows("account")) == set(ids)
    assert set(pair.store.links("crm_accounts", ids)) == set(ids)
    assert pair.store.watermark("crm_accounts") == max(r["updated_at"] for r in pair.crm.rows("account"))

    again = run_mapping(pair.accounts, pair.store, RunOptions(read_batch=PAGE))
    assert (again.counts.created, again.counts.updated) == (0, 0)


def test_a_page_by_page_run_of_the_same_mapping_finds_the_target_as_planning_ahead_left_it(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    Flights(monkeypatch)
    renamed = _crm_ids(pair)[7]
    pair.crm_update("account", renamed, name="  Renamed Ltd  ")
    ahead = run_mapping(pair.accounts, pair.store, RunOptions(read_batch=PAGE))
    before = _values(pair)
    plain_file = pair.mappings / "crm_accounts_plain.yaml"  # no links yet: it matches every record again
    plain_file.write_text(pair.accounts.read_text().replace("name: crm_accounts", "name: crm_accounts_plain"))
    plain = run_mapping(plain_file, pair.store, RunOptions(read_batch=PAGE, plan_ahead=False))
    assert (ahead.counts.created, plain.counts.created, plain.counts.failed) == (20, 0, 0)
    assert _values(pair) == before  # the same values, planned page by page (updated_at aside)
    assert before[renamed]["name"] == "Renamed Ltd"


def test_a_record_read_again_in_the_next_page_is_planned_after_the_page_before_commits(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record in two consecutive pages (changed while the read ran) is linked once, never created twice."""
    flights = Flights(monkeypatch)
    read = MemoryConnector.read

    def twice(conn: MemoryConnector, request: ReadRequest) -> Iterator[Page]:
        previous: Page | None = None
        for read_page in read(conn, request):
            page = read_page
            if previous is not None:
                page = Page(records=[previous.records[-1], *read_page.records], resume=read_page.resume)
            previous = page
            yield page

    monkeypatch.setattr(MemoryConnector, "read", twice)
    result = run_mapping(pair.accounts, pair.store, RunOptions(read_batch=PAGE))
    ids = _crm_ids(pair)
    assert result.status == "succeeded"
    assert result.counts.created == 20
    assert sorted(flights.written) == sorted(ids)
    assert len(pair.erp.rows("account")) == 20


def test_a_refused_last_write_is_retried_with_the_plans_made_ahead_dropped(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run retries the page itself (the connector does not): it is planned again, then the next."""
    monkeypatch.setenv("OFFICEBRIDGE_RETRY_ATTEMPTS", "1")  # the connector's own retries: none
    flights = Flights(monkeypatch)
    calls = {"n": 0}
    write = MemoryConnector.write

    def failing_second(conn: MemoryConnector, obj: str, ops: Sequence[WriteOp]) -> list[WriteResult]:
        if obj == "account" and conn.settings.conn_id == "erp_test":
            calls["n"] += 1
            if calls["n"] == 2:  # page 2, while page 3 is planned ahead: refused, nothing applied
                pair.erp.add_fault("server_error", times=1, operation="account.create", status=503)
        return write(conn, obj, ops)

    monkeypatch.setattr(MemoryConnector, "write", failing_second)
    options = RunOptions(read_batch=PAGE, retry=RetryPolicy(attempts=3, base=0))
    result = run_mapping(pair.accounts, pair.store, options)
    ids = _crm_ids(pair)
    assert (result.status, result.counts.created, result.counts.failed) == ("succeeded", 20, 0)
    assert len(pair.erp.rows("account")) == 20
    assert sorted(flights.written) == sorted(ids)
    planned = [set(p) for p in flights.planned_during_write]
    assert planned.count(set(ids[2 * PAGE : 3 * PAGE])) == 2  # page 3: ahead of page 2, then of its retry


def test_a_failed_last_write_fails_the_run_after_the_page_before_and_nothing_lands_twice(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OFFICEBRIDGE_RETRY_ATTEMPTS", "2")
    monkeypatch.setenv("OFFICEBRIDGE_RETRY_BASE", "0")
    Flights(monkeypatch)
    calls = {"n": 0}
    write = MemoryConnector.write

    def failing_second(conn: MemoryConnector, obj: str, ops: Sequence[WriteOp]) -> list[WriteResult]:
        if obj == "account" and conn.settings.conn_id == "erp_test":
            calls["n"] += 1
            if calls["n"] == 2:
                pair.erp.add_fault("server_error", times=3, operation="account.create", status=503)
        return write(conn, obj, ops)

    monkeypatch.setattr(MemoryConnector, "write", failing_second)
    with pytest.raises(OfficeBridgeError):
        run_mapping(pair.accounts, pair.store, RunOptions(read_batch=PAGE))
    ids = _crm_ids(pair)
    assert set(pair.erp_rows("account")) == set(ids[:PAGE])  # page 1 only: page 3 was never written
    stamps = {r["id"]: r["updated_at"] for r in pair.crm.rows("account")}
    assert pair.store.watermark("crm_accounts") == stamps[ids[PAGE - 1]]  # exactly after page 1

    pair.erp.clear_faults()
    again = run_mapping(pair.accounts, pair.store, RunOptions(read_batch=PAGE))
    assert (again.status, again.counts.failed) == ("succeeded", 0)
    assert len(pair.erp.rows("account")) == 20
    assert set(pair.erp_rows("account")) == set(ids)


def test_a_mapping_that_refers_to_its_own_records_plans_page_by_page(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its references may be records the write in flight is creating: they are resolved after it."""
    own = pair.mappings / "crm_accounts.yaml"
    own.write_text(
        pair.accounts.read_text().replace(
            "lookup: {object: country, field: name, from: country}", "link: {sync: crm_accounts, from: id}"
        )
    )
    flights = Flights(monkeypatch)
    result = run_mapping(own, pair.store, RunOptions(read_batch=PAGE))
    assert (result.status, result.counts.created) == ("succeeded", 20)
    assert flights.planned_during_write == []


def test_a_chunk_is_committed_while_the_next_is_out_and_stays_committed_when_that_one_fails(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OFFICEBRIDGE_RETRY_ATTEMPTS", "1")
    small = pair.mappings / "crm_accounts.yaml"
    small.write_text(pair.accounts.read_text().replace("mode: upsert,", "mode: upsert, batch_size: 2,"))
    flights = Flights(monkeypatch)
    during: list[bool] = []
    commit = StateStore.commit_batch

    def watched_commit(store: StateStore, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("links"):
            during.append(flights.out.is_set())
        return commit(store, *args, **kwargs)

    monkeypatch.setattr(StateStore, "commit_batch", watched_commit)
    calls = {"n": 0}
    write = MemoryConnector.write

    def failing_third(conn: MemoryConnector, obj: str, ops: Sequence[WriteOp]) -> list[WriteResult]:
        if obj == "account" and conn.settings.conn_id == "erp_test":
            calls["n"] += 1
            if calls["n"] == 3:  # the last chunk of page 1 (2 + 2 + 1 records)
                pair.erp.add_fault("server_error", times=1, operation="account.create", status=503)
        return write(conn, obj, ops)

    monkeypatch.setattr(MemoryConnector, "write", failing_third)
    with pytest.raises(OfficeBridgeError):
        run_mapping(small, pair.store, RunOptions(read_batch=PAGE, retry=RetryPolicy(attempts=1)))
    ids = _crm_ids(pair)
    assert during[:2] == [True, True]  # chunks 1 and 2 committed while 2 and 3 were out
    assert set(pair.store.links("crm_accounts", ids)) == set(ids[:4])  # chunk 2 kept though 3 failed
    assert set(pair.erp_rows("account")) == set(ids[:4])
    assert pair.store.watermark("crm_accounts") is None  # page 1 never completed

    again = run_mapping(small, pair.store, RunOptions(read_batch=PAGE))
    assert (again.status, again.counts.created, again.counts.failed) == ("succeeded", 16, 0)
    assert len(pair.erp.rows("account")) == 20
