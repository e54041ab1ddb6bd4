"""The Syncs view shows each sync's last reconciliation: its status and what it found."""

from __future__ import annotations

from pathlib import Path

from officebridge.reconcile.run import ReconcileOptions
from officebridge.reconcile.sync import reconcile_mapping
from officebridge.ui import overview, views
from tests.unit.sync.conftest import Pair


def test_the_last_reconciliation_is_on_the_sync_row(pair: Pair, tmp_path: Path) -> None:
    pair.run(pair.accounts)
    catalogue = overview.MappingCatalogue(pair.mappings)
    before = {v.name: v for v in overview.syncs(pair.store, catalogue)}
    assert before["crm_accounts"].reconciliation is None

    city = next(iter(pair.erp_rows("account").values()))
    pair.erp.store.rows["account"][city["id"]]["city"] = "Nowhere"
    done = reconcile_mapping(pair.accounts, pair.store, ReconcileOptions(report_dir=tmp_path))
    row = {v.name: v for v in overview.syncs(pair.store, catalogue)}["crm_accounts"]
    assert row.reconciliation == done.reconciliation
    assert (row.reconciliation.status, row.reconciliation.counts["drifted"]) == ("drift", 1)

    page = views.templates.env.get_template("syncs.html").render(
        syncs=[row], letters=[], can_act=False, base="", here="/syncs", airflow="",
        counts_shown=overview.COUNTS_SHOWN, reconciled_shown=overview.RECONCILED_SHOWN,
    )  # fmt: skip
    assert "Last reconciliation" in page and 'class="pill st-drift">drift<' in page
    assert "<b>1</b> drifted" in page and "20 checked" in page
