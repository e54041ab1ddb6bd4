"""Partitioned initial loads: windows cover everything once; the watermark moves once, at the end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from officebridge.errors import StateError
from officebridge.sync.partitions import (
    INCREMENTAL,
    Partition,
    finish_partitions,
    plan_partitions,
    run_partition,
)
from officebridge.sync.run import RunOptions
from officebridge.sync.runner import prepared
from tests.integration.sync.conftest import ACCOUNTS, Bridge


def test_windows_tile_the_cursor_line() -> None:
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    parts = [
        Partition(0, 3, None, t0),
        Partition(1, 3, t0, t0 + timedelta(days=1)),
        Partition(2, 3, t0 + timedelta(days=1), None),
    ]
    for stamp in (None, t0 - timedelta(days=9), t0, t0 + timedelta(hours=23), t0 + timedelta(days=400)):
        assert sum(p.contains(stamp) for p in parts) == 1, stamp
    assert Partition.from_dict(parts[1].as_dict()) == parts[1]


def test_partitioned_load_matches_a_single_run_and_moves_the_watermark_once(bridge: Bridge) -> None:
    options = RunOptions(trigger="test", detail={"airflow_run_id": "manual__x"})
    with prepared(ACCOUNTS, bridge.store, options) as run:
        parts = plan_partitions(run, 4)
        assert [p.index for p in parts] == [0, 1, 2, 3] and not any(p.incremental for p in parts)
        results = [run_partition(run, p) for p in parts[:3]]
        assert bridge.store.watermark(run.sync) is None  # partitions never move it
        with pytest.raises(StateError):  # a partition run that is not finished blocks the watermark
            finish_partitions(
                bridge.store, run.sync, [r.run_id for r in results] + [results[0].run_id + 1000]
            )
        results.append(run_partition(run, parts[3]))
        mark = finish_partitions(bridge.store, run.sync, [r.run_id for r in results])

    accounts = bridge.sf_records("SELECT Id, SystemModstamp FROM Account")
    assert sum(r.counts.created for r in results) == len(accounts) == 300
    assert sum(1 for r in results if r.counts.created) >= 2  # the seed spreads stamps: work really is split
    assert {p["ref"] for p in bridge.synced_partners()} == {a["Id"] for a in accounts}
    newest = max(datetime.fromisoformat(a["SystemModstamp"].replace("+0000", "+00:00")) for a in accounts)
    assert mark == newest
    runs = bridge.store.runs("salesforce_account_to_odoo")
    assert all(r.detail["airflow_run_id"] == "manual__x" and r.trigger == "test" for r in runs)

    # the next plan is an ordinary incremental run, and it finds nothing new
    with prepared(ACCOUNTS, bridge.store, RunOptions()) as run:
        assert plan_partitions(run, 4) == [INCREMENTAL]
        again = run_partition(run, INCREMENTAL)
    assert (again.counts.created, again.counts.updated) == (0, 0)


def test_a_rerun_partition_writes_nothing_twice(bridge: Bridge) -> None:
    with prepared(ACCOUNTS, bridge.store, RunOptions()) as run:
        parts = plan_partitions(run, 2)
        first = run_partition(run, parts[0])
        rerun = run_partition(run, parts[0])
    assert first.counts.created > 0
    assert (rerun.counts.created, rerun.counts.unchanged) == (0, first.counts.created)
