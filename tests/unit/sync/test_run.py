"""The sync engine on two in-memory systems: first load, reruns, edits, ties, deletes, preview."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from officebridge.connector import OpKind, WriteOp
from officebridge.sync.runner import preview_mapping
from tests.unit.sync.conftest import Pair


def test_first_run_creates_every_record_and_resolves_lookups(pair: Pair) -> None:
    result = pair.run(pair.accounts)
    crm = {r["id"]: r for r in pair.crm.rows("account")}
    assert (result.status, result.counts.created, result.counts.failed) == ("succeeded", 20, 0)
    erp = pair.erp_rows("account")
    assert set(erp) == set(crm)
    countries = {r["name"]: r["id"] for r in pair.erp.rows("country")}
    for crm_id, row in erp.items():
        assert row["name"] == crm[crm_id]["name"] and row["city"] == crm[crm_id]["city"]
        assert row["country_id"] == countries[crm[crm_id]["country"]]
    assert pair.store.watermark("crm_accounts") == max(r["updated_at"] for r in crm.values())


def test_rerun_without_changes_writes_nothing(pair: Pair) -> None:
    pair.run(pair.accounts)
    pair.erp.reset_stats()
    again = pair.run(pair.accounts)
    assert (again.counts.created, again.counts.updated, again.counts.failed) == (0, 0, 0)
    assert again.counts.unchanged == again.counts.read == 20  # all within the overlap window
    assert pair.writes(pair.erp) == {}


def test_edits_become_exactly_that_many_updates(pair: Pair) -> None:
    pair.run(pair.accounts)
    edited = [r["id"] for r in pair.crm.rows("account")][:3]
    for n, crm_id in enumerate(edited):
        pair.crm_update("account", crm_id, name=f"  Renamed {n}  ")
    pair.erp.reset_stats()
    result = pair.run(pair.accounts)
    assert (result.counts.created, result.counts.updated) == (0, 3)
    assert [pair.erp_rows("account")[i]["name"] for i in edited] == ["Renamed 0", "Renamed 1", "Renamed 2"]
    assert pair.writes(pair.erp) == {"account.update": 1}  # one batch


def test_ties_across_pages_and_a_late_commit_are_not_lost(pair: Pair) -> None:
    ids = [r["id"] for r in pair.crm.rows("account")]
    stamp = datetime.now(UTC) - timedelta(minutes=1)  # in the past: a future one never becomes the mark
    pair.crm.touch("account", ids, stamp)
    first = pair.run(pair.accounts, read_batch=7)  # pages end inside the tie
    assert first.counts.created == 20 and pair.store.watermark("crm_accounts") == stamp
    late = ids[5:8]
    for crm_id in late:
        pair.crm_update("account", crm_id, city="Late")
    pair.crm.touch("account", late, stamp)  # committed late, with a stamp the watermark already passed
    second = pair.run(pair.accounts, read_batch=7)
    assert second.counts.updated == 3
    erp = pair.erp_rows("account")
    assert len(erp) == 20 and {erp[i]["city"] for i in late} == {"Late"}


def test_a_far_watermark_reads_only_the_overlap_window(pair: Pair) -> None:
    pair.run(pair.accounts)
    old = [r["id"] for r in pair.crm.rows("account")][:15]
    pair.crm.touch("account", old, datetime(2020, 1, 1, tzinfo=UTC))
    pair.crm_update("account", old[0], city="Fresh")  # now the newest record
    result = pair.run(pair.accounts, overlap=timedelta(0))
    assert result.counts.read == 6 and result.counts.updated == 1  # 5 untouched + the fresh edit


@pytest.mark.parametrize(
    ("policy", "expect"), [("archive", "archived"), ("delete", "gone"), ("ignore", "live")]
)
def test_source_deletes_follow_the_delete_policy(pair: Pair, policy: str, expect: str) -> None:
    pair.accounts.write_text(pair.accounts.read_text().replace("on_delete: archive", f"on_delete: {policy}"))
    pair.run(pair.accounts)
    victim = pair.crm.rows("account")[0]["id"]
    pair.crm_write("account", [WriteOp(OpKind.DELETE, victim, target_id=victim)])
    result = pair.run(pair.accounts)
    assert result.counts.deleted == (0 if policy == "ignore" else 1)
    live = pair.erp_rows("account")
    every = pair.erp_rows("account", include_deleted=True)
    state = "gone" if every[victim]["deleted"] else "archived" if not every[victim]["active"] else "live"
    assert state == expect and (victim in live) == (expect != "gone")
    assert len(every) == 20


def test_preview_plans_and_writes_nothing(pair: Pair) -> None:
    preview = preview_mapping(pair.accounts, pair.store, limit=5)
    assert [p.action for p in preview.plans] == ["create"] * 5
    assert preview.counts.created == 5
    assert pair.erp_rows("account") == {} and pair.writes(pair.erp) == {}
    assert pair.store.watermark("crm_accounts") is None
