"""Issue 9: `missing: error` fires on an empty `from` value; `preview -n` shows n records the filter keeps."""

from __future__ import annotations

from pathlib import Path

from officebridge.sync.runner import preview_mapping
from tests.unit.sync.conftest import ACCOUNTS, Pair


def test_missing_error_fires_when_the_link_key_is_empty(pair: Pair) -> None:
    pair.run(pair.accounts)
    orphan = pair.crm.rows("contact")[0]["id"]
    pair.crm_update("contact", orphan, account_id=None)
    result = pair.run(pair.contacts)
    letters = {d.source_id: d for d in pair.store.dead_letters("crm_contacts")}
    assert orphan in letters, "a contact without its account must not be created"
    assert letters[orphan].stage == "lookup"
    assert letters[orphan].error_code == "REFERENCE_EMPTY" and "empty" in letters[orphan].message
    assert orphan not in pair.erp_rows("contact")
    assert result.counts.failed == 1 and result.counts.created == len(pair.crm.rows("contact")) - 1


def test_missing_null_leaves_an_empty_key_empty(pair: Pair) -> None:
    first = pair.crm.rows("account")[0]["id"]
    pair.crm_update("account", first, country=None)
    result = pair.run(pair.accounts)
    assert result.counts.failed == 0
    assert pair.erp_rows("account")[first]["country_id"] in (None, False)


def test_preview_limit_counts_only_records_the_filter_keeps(pair: Pair, tmp_path: Path) -> None:
    filtered = pair.mappings / "crm_accounts_filtered.yaml"
    keep = sorted(r["name"] for r in pair.crm.rows("account"))[1::2]  # every other record filtered out
    text = ACCOUNTS.replace("name: crm_accounts", "name: crm_accounts_filtered")
    filtered.write_text(text + f"where: \"name in {keep!r}\"\n")
    preview = preview_mapping(filtered, pair.store, limit=5)
    assert len(preview.plans) == 5
    assert [p.action for p in preview.plans] == ["create"] * 5
    assert preview.counts.read == 5 and preview.counts.skipped == 0
