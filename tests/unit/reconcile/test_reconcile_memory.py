"""Reconciliation on the in-memory systems: exact counts, bounded pages, repair that converges."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from officebridge.connections import parse_connection
from officebridge.connector import OpKind, ReadRequest, WriteOp
from officebridge.reconcile.run import ReconcileOptions
from officebridge.reconcile.sync import reconcile_mapping
from officebridge.state import reconciliations as recs
from officebridge.testing.memory.connector import MemoryConnector
from tests.unit.sync.conftest import Pair

SYNC = "crm_accounts"


def _reconcile(pair: Pair, tmp_path: Path, **options: Any) -> Any:
    return reconcile_mapping(
        pair.accounts, pair.store, ReconcileOptions(report_dir=tmp_path / "reports", **options)
    )


def _erp_write(pair: Pair, ops: list[WriteOp]) -> None:
    """Change the ERP behind the sync's back, through the ERP's own API."""
    conn = MemoryConnector(parse_connection("erp_user", pair.erp.connection_value()))
    assert all(r.ok for r in conn.write("account", ops))


def _drift(pair: Pair) -> dict[str, str]:
    """One of each: a target deleted, a target field edited, a link row lost, a source purged unseen."""
    links = {link.source_id: link.target_id for page in pair.store.iter_links(SYNC) for link in page}
    crm = sorted(links)
    deleted, edited, unlinked, purged = crm[0], crm[1], crm[2], crm[3]
    _erp_write(pair, [WriteOp(OpKind.DELETE, "x", target_id=links[deleted])])
    _erp_write(pair, [WriteOp(OpKind.UPDATE, "y", {"city": "Nowhere"}, target_id=links[edited])])
    recs.drop_links(pair.store, SYNC, [unlinked])
    del pair.crm.store.rows["account"][purged]  # gone without a trace: no tombstone to read
    return {"deleted": deleted, "edited": edited, "unlinked": unlinked, "purged": purged}


def test_a_fresh_sync_reconciles_clean(pair: Pair, tmp_path: Path) -> None:
    pair.run(pair.accounts)
    outcome = _reconcile(pair, tmp_path)
    assert outcome.status == "clean" and not outcome.out_of_step
    assert outcome.reconciliation.counts == {
        "checked": 20, "linked": 20, "missing": 0, "broken": 0, "extra": 0, "drifted": 0, "unreadable": 0,
        "repaired": 0,
    }  # fmt: skip
    assert recs.latest(pair.store, SYNC) == outcome.reconciliation


def test_every_injected_drift_is_found_and_counted_exactly(pair: Pair, tmp_path: Path) -> None:
    pair.run(pair.accounts)
    ids = _drift(pair)
    outcome = _reconcile(pair, tmp_path)
    c = outcome.reconciliation.counts
    assert outcome.status == "drift" and outcome.out_of_step
    # missing: the unlinked one and the one whose target was deleted (its link is broken)
    assert (c["checked"], c["linked"]) == (19, 19)
    assert (c["missing"], c["broken"], c["extra"], c["drifted"]) == (2, 1, 1, 1)
    assert dict(outcome.found.fields) == {"city": 1}
    samples = outcome.found.samples
    assert {s["a_id"] for s in samples["missing"]} == {ids["deleted"], ids["unlinked"]}
    assert [s["a_id"] for s in samples["broken"]] == [ids["deleted"]]
    assert [(s["a_id"], s["reason"]) for s in samples["extra"]] == [(ids["purged"], "gone")]
    assert [(s["a_id"], s["actual"]) for s in samples["drifted"]] == [(ids["edited"], {"city": "Nowhere"})]

    report = json.loads(Path(outcome.reports["json"]).read_text())
    assert report["found"]["counts"] == {k: v for k, v in c.items() if k != "repaired"}
    assert "Nowhere" in Path(outcome.reports["html"]).read_text()


def test_repair_converges_and_a_second_reconcile_finds_nothing(pair: Pair, tmp_path: Path) -> None:
    pair.run(pair.accounts)
    ids = _drift(pair)
    outcome = _reconcile(pair, tmp_path, repair=True)
    assert outcome.status == "repaired" and not outcome.out_of_step
    assert outcome.remaining is not None and outcome.remaining.total == 0
    assert outcome.repair is not None and outcome.repair.links_dropped == 1
    erp = pair.erp_rows("account")
    assert erp[ids["edited"]]["city"] != "Nowhere"
    assert ids["deleted"] in erp  # created again
    assert erp[ids["purged"]]["active"] is False  # on_delete: archive, as if the run had seen the deletion
    again = _reconcile(pair, tmp_path)
    assert again.status == "clean" and again.found.total == 0
    assert pair.run(pair.accounts).counts.written == 0  # and the sync agrees: nothing left to write


def test_both_sides_are_read_in_bounded_pages(
    pair: Pair, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pair.run(pair.accounts)
    reads: list[int] = []
    fetches: list[int] = []
    read, fetch = MemoryConnector.read, MemoryConnector.fetch

    def counting_read(self: MemoryConnector, request: ReadRequest) -> Any:
        for page in read(self, request):
            reads.append(len(page.records))
            yield page

    def counting_fetch(self: MemoryConnector, object_name: str, fields: Any, ids: Any) -> Any:
        fetches.append(len(ids))
        return fetch(self, object_name, fields, ids)

    monkeypatch.setattr(MemoryConnector, "read", counting_read)
    monkeypatch.setattr(MemoryConnector, "fetch", counting_fetch)
    outcome = _reconcile(pair, tmp_path, batch=6)
    assert outcome.status == "clean" and outcome.reconciliation.counts["checked"] == 20
    assert reads == [6, 6, 6, 2]  # the source in pages of the batch, never whole
    assert fetches == [6, 6, 6, 2]  # the target fetched per page of linked ids
