"""Reconciling a two-way pair on two in-memory systems: both sides compared, drift injected, exact counts."""

# ruff: noqa: F811 - `systems` is the pair tests' fixture, imported so pytest finds it here too

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from officebridge.cli import main
from officebridge.reconcile.pair_run import reconcile_pair
from officebridge.reconcile.run import ReconcileOptions
from officebridge.state import reconciliations as recs
from tests.unit.pair.conftest import Systems, systems  # noqa: F401 - the fixture, shared

PAIR = "accounts_pair"


def _reconcile(systems: Systems, tmp_path: Path, **options: Any) -> Any:
    return reconcile_pair(
        systems.file, systems.store, ReconcileOptions(report_dir=tmp_path / "reports", **options)
    )


def _counts(**found: int) -> dict[str, int]:
    return {"checked": 10, "linked": 5, "missing": 0, "broken": 0, "extra": 0, "drifted": 0, "unreadable": 0,
            "repaired": 0, **found}  # fmt: skip


def _links(systems: Systems) -> dict[str, str]:
    return {link.a_id: link.b_id for page in systems.store.iter_pair_links(PAIR) for link in page}


def _inject(systems: Systems) -> dict[str, str]:
    """Behind the pair's back: a name edited in the CRM, a city in the ERP, an ERP record deleted,
    a pair link lost, and a record created in the ERP."""
    links = _links(systems)
    crm = sorted(links)
    systems.edit(systems.crm, crm[0], name="Renamed in the CRM")
    systems.edit(systems.erp, links[crm[1]], city="Nowhere")
    systems.delete(systems.erp, links[crm[2]])
    systems.store.remove_pair_links(PAIR, [crm[3]])
    new = systems.create(systems.erp, name="Born in the ERP", city="Osaka", rating="Hot", employees=3)
    return {"renamed": crm[0], "moved": crm[1], "deleted": crm[2], "unlinked": crm[3], "new": new}


def test_a_settled_pair_reconciles_clean_on_both_sides(systems: Systems, tmp_path: Path) -> None:
    systems.run()
    outcome = _reconcile(systems, tmp_path)
    assert outcome.status == "clean"
    assert outcome.reconciliation.counts == _counts()
    assert outcome.reconciliation.sync == PAIR and outcome.reconciliation.kind == "pair"


def test_drift_on_either_side_is_found_with_exact_counts(systems: Systems, tmp_path: Path) -> None:
    systems.run()
    ids = _inject(systems)
    outcome = _reconcile(systems, tmp_path)
    assert outcome.status == "drift" and outcome.out_of_step
    # missing: the deleted ERP record's CRM partner (broken link), both records of the lost link,
    # and the record born in the ERP; linked: the lost link is gone, the broken one is still there
    assert outcome.reconciliation.counts == _counts(linked=4, missing=4, broken=1, drifted=2)
    assert dict(outcome.found.fields) == {"name": 1, "city": 1}
    assert dict(outcome.found.reasons) == {
        "broken: side b archived or deleted": 1,
        "missing: broken link": 1,
        "missing: no partner on side a": 2,  # the ERP half of the lost link, and the ERP's new record
        "missing: no partner on side b": 1,
    }
    drifted = {e["a_id"]: e for e in outcome.found.samples["drifted"]}
    assert set(drifted) == {ids["renamed"], ids["moved"]}
    assert drifted[ids["moved"]]["actual"] == {"city": "Nowhere"}
    missing = outcome.found.samples["missing"]
    assert {"b_id": ids["new"], "reason": "no partner on side a"} in missing
    assert {"a_id": ids["unlinked"], "reason": "no partner on side b"} in missing
    stored = recs.latest(systems.store, PAIR)
    assert stored is not None and stored.counts["drifted"] == 2 and stored.status == "drift"
    report = json.loads(Path(outcome.reports["json"]).read_text())
    assert report["found"]["counts"]["missing"] == 4 and report["kind"] == "pair"


def test_a_link_whose_both_records_vanished_is_broken_once(systems: Systems, tmp_path: Path) -> None:
    systems.run()
    links = _links(systems)
    crm_id = sorted(links)[0]
    del systems.crm.store.rows["account"][crm_id]  # purged on both sides, no tombstone to read
    del systems.erp.store.rows["account"][links[crm_id]]
    outcome = _reconcile(systems, tmp_path)
    assert outcome.reconciliation.counts == _counts(checked=8, broken=1)
    assert dict(outcome.found.reasons) == {"broken: side a gone and side b gone": 1}
    repaired = _reconcile(systems, tmp_path, repair=True)
    assert repaired.status == "repaired" and repaired.repair is not None
    assert repaired.repair.links_dropped == 1 and crm_id not in _links(systems)


def test_repair_settles_everything_through_the_pair_and_a_second_check_is_clean(
    systems: Systems, tmp_path: Path
) -> None:
    systems.run()
    ids = _inject(systems)
    outcome = _reconcile(systems, tmp_path, repair=True)
    assert outcome.status == "repaired", outcome.remaining and outcome.remaining.as_counts()
    assert outcome.remaining is not None and outcome.remaining.total == 0
    crm, erp = systems.live(systems.crm), systems.live(systems.erp)
    assert systems.partner(ids["renamed"])["name"] == "Renamed in the CRM"  # the newer edit wins
    assert crm[ids["moved"]]["city"] == "Nowhere"  # city is owned by side b: pulled into the CRM
    assert ids["deleted"] not in crm  # the ERP deletion got side a's on_delete (archive)
    assert [r["name"] for r in crm.values()].count("Born in the ERP") == 1  # created once in the CRM
    assert len(erp) == 5  # the lost link was found again by the match field, not created twice
    assert outcome.repair is not None and set(outcome.repair.as_dict()["run_ids"]) == {
        f"{PAIR}__a_to_b",
        f"{PAIR}__b_to_a",
    }
    assert [r.counts.created + r.counts.updated for r in systems.run()] == [0, 0]  # nothing left to settle
    assert _reconcile(systems, tmp_path).status == "clean"


def test_the_cli_reconciles_a_two_way_file_and_exits_3_on_drift(systems: Systems, tmp_path: Path) -> None:
    systems.run()
    _inject(systems)
    url = str(systems.store.engine.url)
    args = ["--state-url", url, "reconcile", str(systems.file), "--report-dir", str(tmp_path), "--json"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 3, result.output
    payload = json.loads(result.output.splitlines()[0])
    assert payload["sync"] == PAIR and payload["counts"]["missing"] == 4 and payload["counts"]["drifted"] == 2


def test_a_partner_purged_without_a_trace_is_created_again_by_the_repair(
    systems: Systems, tmp_path: Path
) -> None:
    systems.run()
    links = _links(systems)
    crm_id = sorted(links)[0]
    del systems.erp.store.rows["account"][links[crm_id]]  # no tombstone: the pair cannot see it go
    outcome = _reconcile(systems, tmp_path, repair=True)
    assert outcome.reconciliation.counts == _counts(checked=9, missing=1, broken=1, repaired=1)
    assert dict(outcome.found.reasons) == {"broken: side b gone": 1, "missing: broken link": 1}
    assert outcome.status == "repaired" and outcome.repair is not None and outcome.repair.counts.created == 1
    assert systems.partner(crm_id)["name"] == systems.live(systems.crm)[crm_id]["name"]


def test_drift_of_a_manual_field_becomes_a_conflict_and_stays_drifted(
    systems: Systems, tmp_path: Path
) -> None:
    systems.run()
    links = _links(systems)
    crm_id = sorted(links)[0]
    was = systems.live(systems.crm)[crm_id]["rating"]
    systems.edit(systems.erp, links[crm_id], rating=next(r for r in ("Hot", "Warm", "Cold") if r != was))
    outcome = _reconcile(systems, tmp_path, repair=True)
    assert outcome.reconciliation.counts == _counts(drifted=1)
    assert dict(outcome.found.fields) == {"rating": 1}
    assert outcome.status == "drift" and outcome.remaining is not None
    assert outcome.remaining.as_counts()["drifted"] == 1  # a person decides: the pair wrote neither side
    assert systems.live(systems.crm)[crm_id]["rating"] == was
    assert [(d.stage, d.source_id) for d in systems.store.dead_letters(PAIR)] == [("conflict", crm_id)]
