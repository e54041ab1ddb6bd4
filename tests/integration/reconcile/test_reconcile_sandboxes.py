"""Reconciliation against the Salesforce and Odoo sandboxes, through the real clients.

After a real run, drift is made behind officebridge's back, directly in the
sandboxes and the state store: a target record deleted, a target field
edited, a link row lost, a source record purged so no deletion can be read.
Reconciliation must find each one, with the counts exact, and `--repair`
must put them right so a second reconciliation finds nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from officebridge.cli import main
from officebridge.reconcile.run import ReconcileOptions
from officebridge.reconcile.sync import reconcile_mapping
from officebridge.state import reconciliations as recs
from tests.integration.sync.conftest import ACCOUNTS, CREDIT, Bridge

pytestmark = pytest.mark.slow
ACCOUNT_SYNC = "salesforce_account_to_odoo"


def _partners_by_ref(b: Bridge) -> dict[str, dict[str, Any]]:
    return {p["ref"]: p for p in b.partners([["ref", "=like", "001%"]], ["ref", "id", "city", "active"])}


def _drift_accounts(b: Bridge) -> dict[str, str]:
    """Four kinds of drift, each made where officebridge cannot see it happen."""
    partners = _partners_by_ref(b)
    refs = sorted(partners)
    deleted, edited, unlinked, purged = refs[10], refs[11], refs[12], refs[13]
    b.odoo_client.execute_kw("res.partner", "unlink", [[partners[deleted]["id"]]])
    b.odoo_client.execute_kw("res.partner", "write", [[partners[edited]["id"]], {"city": "Nowhere"}])
    recs.drop_links(b.store, ACCOUNT_SYNC, [unlinked])
    assert b.sf.hard_delete("Account", [purged]) == 1  # purged: not even queryAll returns it
    return {"deleted": deleted, "edited": edited, "unlinked": unlinked, "purged": purged}


def _reconcile(b: Bridge, tmp_path: Path, mapping: Path = ACCOUNTS, **options: Any) -> Any:
    return reconcile_mapping(mapping, b.store, ReconcileOptions(report_dir=tmp_path, **options))


def test_injected_drift_is_found_with_exact_counts(bridge_any_store: Bridge, tmp_path: Path) -> None:
    b = bridge_any_store
    assert b.run(ACCOUNTS).counts.created == 300
    clean = _reconcile(b, tmp_path)
    assert clean.status == "clean", clean.found.as_dict()
    assert (clean.found.checked, clean.found.linked) == (300, 300)

    ids = _drift_accounts(b)
    outcome = _reconcile(b, tmp_path)
    c = outcome.reconciliation.counts
    assert outcome.status == "drift"
    assert (c["checked"], c["linked"]) == (299, 299)
    assert (c["missing"], c["broken"], c["extra"], c["drifted"], c["unreadable"]) == (2, 1, 1, 1, 0)
    assert dict(outcome.found.fields) == {"city": 1}
    samples = outcome.found.samples
    assert {s["a_id"] for s in samples["missing"]} == {ids["deleted"], ids["unlinked"]}
    assert [s["a_id"] for s in samples["broken"]] == [ids["deleted"]]  # "written", the target holds nothing
    assert [(s["a_id"], s["reason"]) for s in samples["extra"]] == [(ids["purged"], "gone")]
    assert [s["fields"] for s in samples["drifted"]] == [["city"]]
    assert recs.latest(b.store, ACCOUNT_SYNC) == outcome.reconciliation
    assert json.loads(Path(outcome.reports["json"]).read_text())["found"]["counts"]["drifted"] == 1


def test_repair_converges_through_the_cli(bridge: Bridge, tmp_path: Path) -> None:
    b = bridge
    b.run(ACCOUNTS)
    ids = _drift_accounts(b)
    url = str(b.store.url.render_as_string(hide_password=False))
    cli = CliRunner()
    args = ["--state-url", url, "reconcile", str(ACCOUNTS), "--json", "--report-dir", str(tmp_path)]

    found = cli.invoke(main, args)
    assert found.exit_code == 3, found.output
    assert json.loads(found.stdout)["counts"]["missing"] == 2

    repaired = cli.invoke(main, [*args, "--repair"])
    assert repaired.exit_code == 0, repaired.output
    body = json.loads(repaired.stdout)
    assert body["status"] == "repaired"
    assert body["remaining"] == {"checked": 299, "linked": 299, "missing": 0, "broken": 0, "extra": 0,
                                 "drifted": 0, "unreadable": 0}  # fmt: skip
    partners = _partners_by_ref(b)
    assert partners[ids["edited"]]["city"] != "Nowhere"
    assert ids["deleted"] in partners and partners[ids["deleted"]]["active"]  # created again
    assert partners[ids["purged"]]["active"] is False  # on_delete: archive

    again = cli.invoke(main, args)
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["status"] == "clean"


def test_drift_in_salesforce_as_the_target(bridge: Bridge, tmp_path: Path) -> None:
    """The credit sync writes Odoo trust to the Account's Rating: edit one, purge another."""
    b = bridge
    b.run(ACCOUNTS)
    assert b.run(CREDIT).counts.updated == 300
    accounts = sorted(a["Id"] for a in b.sf_records("SELECT Id FROM Account"))
    b.sf_client.Account.update(accounts[0], {"Rating": "Cold"})  # Warm is what Odoo says
    b.sf.hard_delete("Account", [accounts[1]])
    outcome = _reconcile(b, tmp_path, CREDIT)
    c = outcome.reconciliation.counts
    # the partner whose Account is gone: its link is broken, so its record is missing in Salesforce too
    assert (c["checked"], c["linked"]) == (300, 300)
    assert (c["missing"], c["broken"], c["extra"], c["drifted"]) == (1, 1, 0, 1)
    assert dict(outcome.found.fields) == {"Rating": 1}
    assert [s["actual"] for s in outcome.found.samples["drifted"]] == [{"Rating": "Cold"}]
