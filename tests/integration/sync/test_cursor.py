"""`source.cursor` reaches the read: the named field, not the connector's default, decides what changed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from connectors.salesforce.sandbox.store import format_datetime
from tests.integration.sync.conftest import ACCOUNTS, NO_OVERLAP, Bridge

OLD = datetime(2001, 1, 1, tzinfo=UTC)


def _set_stamp(bridge: Bridge, field: str, source_id: str, at: datetime) -> None:
    """Move one change stamp of one Account, as a system-only change (or a data load) would."""
    bridge.sf.store.execute(
        f'UPDATE "Account" SET "{field}" = ? WHERE "Id" = ?', [format_datetime(at), source_id]
    )


def test_a_last_modified_date_cursor_reads_by_last_modified_date(bridge: Bridge, tmp_path: Path) -> None:
    mapping = tmp_path / "accounts_by_lmd.yaml"
    mapping.write_text(
        ACCOUNTS.read_text()
        .replace("cursor: SystemModstamp", "cursor: LastModifiedDate")
        .replace("name: salesforce_account_to_odoo", "name: accounts_by_lmd")
    )
    first = bridge.run(mapping, overlap=NO_OVERLAP)
    assert first.counts.created == 300
    accounts = bridge.sf_records("SELECT Id, Name, LastModifiedDate FROM Account ORDER BY Id LIMIT 2")
    newest = max(
        datetime.fromisoformat(a["LastModifiedDate"].replace("+0000", "+00:00"))
        for a in bridge.sf_records("SELECT LastModifiedDate FROM Account")
    )
    assert bridge.store.watermark("accounts_by_lmd") == newest  # the watermark is a LastModifiedDate

    # both renamed; then their stamps disagree: `user_edit` keeps a new LastModifiedDate and an old
    # SystemModstamp, `system_edit` the other way round. Only a read by LastModifiedDate sees user_edit.
    user_edit, system_edit = (a["Id"] for a in accounts)
    for a in accounts:
        bridge.sf_client.Account.update(a["Id"], {"Name": a["Name"] + " Renamed"})
    _set_stamp(bridge, "SystemModstamp", user_edit, OLD)
    _set_stamp(bridge, "LastModifiedDate", system_edit, OLD)

    second = bridge.run(mapping, overlap=NO_OVERLAP)  # also re-reads the record at the watermark (>=)
    assert (second.counts.updated, second.counts.read - second.counts.unchanged) == (1, 1)
    names = {p["ref"]: p["name"] for p in bridge.synced_partners()}
    assert names[user_edit].endswith(" Renamed") and not names[system_edit].endswith(" Renamed")
    [stamp] = bridge.sf_records(f"SELECT LastModifiedDate FROM Account WHERE Id = '{user_edit}'")
    assert bridge.store.watermark("accounts_by_lmd") == datetime.fromisoformat(
        stamp["LastModifiedDate"].replace("+0000", "+00:00")
    )


def test_the_default_cursor_is_the_connectors_first(bridge: Bridge, tmp_path: Path) -> None:
    """Without `cursor:` the run reads by the source's default cursor (SystemModstamp for Salesforce)."""
    mapping = tmp_path / "accounts_default.yaml"
    mapping.write_text(
        ACCOUNTS.read_text()
        .replace("  cursor: SystemModstamp\n", "")
        .replace("name: salesforce_account_to_odoo", "name: accounts_default")
    )
    bridge.run(mapping, overlap=NO_OVERLAP)
    [account] = bridge.sf_records("SELECT Id, Name FROM Account ORDER BY Id LIMIT 1")
    bridge.sf_client.Account.update(account["Id"], {"Name": account["Name"] + " Renamed"})
    _set_stamp(bridge, "LastModifiedDate", account["Id"], OLD)  # a system-only change
    again = bridge.run(mapping, overlap=NO_OVERLAP)
    assert (again.counts.updated, again.counts.read - again.counts.unchanged) == (1, 1)
