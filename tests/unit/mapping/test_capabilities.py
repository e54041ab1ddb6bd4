"""A mapping asking for what its systems cannot do is refused when it loads, at file:line:column.

The checks read only the connector manifests. "ledger" below is a manifest of
an append-only system (creates only, deletions never visible, a token cursor)
registered for these tests the way an installed plug-in would be.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from officebridge.connector import (
    Capabilities,
    ConnectionContract,
    ConnectorManifest,
    CursorKind,
    DeleteVisibility,
    OpKind,
    manifests,
)
from officebridge.errors import MappingError
from officebridge.mapping import compile_mapping, parse_mapping


class EpochWire:
    """Datetimes as whole seconds since 1970 (naive values never occur)."""

    def parse_datetime(self, value: Any) -> datetime | None:
        return datetime.fromtimestamp(int(value), UTC)

    def format_datetime(self, moment: datetime) -> Any:
        return int(moment.timestamp())


LEDGER = ConnectorManifest(
    system="ledger",
    label="Ledger",
    capabilities=Capabilities(
        operations=frozenset({OpKind.CREATE}),
        deletes=DeleteVisibility.NONE,
        lookup_consistent=True,
        cursor=CursorKind.TOKEN,
        cursor_fields=("sequence",),
        filter_schema={
            "type": "object",
            "properties": {"account": {"type": "string"}},
            "additionalProperties": False,
        },
        filter_help='an object, e.g. {account: "4000"}',
        max_write_batch=50,
    ),
    connection=ConnectionContract(default_conn_id="ledger_default", conn_type="ledger", hook_name="Ledger"),
    wire=EpochWire(),
    factory="nowhere:Ledger",
)


@pytest.fixture(autouse=True)
def ledger(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(manifests(), "ledger", LEDGER)
    yield


def problems(text: str) -> list[str]:
    with pytest.raises(MappingError) as caught:
        parse_mapping(text, "m.yaml")
    return [str(p) for p in caught.value.problems]


def ok(text: str) -> Any:
    return parse_mapping(text, "m.yaml")


def mapping(source: str, target: str, fields: str = "  ref: Id\n") -> str:
    return f"version: 1\nsource:\n{source}target:\n{target}fields:\n{fields}"


SF = "  system: salesforce\n  object: Account\n"
ODOO = "  system: odoo\n  object: res.partner\n  match: ref\n"
LEDGER_TARGET = "  system: ledger\n  object: entry\n  match: ref\n  mode: insert\n"


def test_a_cursor_the_source_cannot_read_by_is_refused_with_the_allowed_ones() -> None:
    [message] = problems(mapping(SF + "  cursor: Company\n", ODOO))
    assert message == (
        "m.yaml:5:11: [source.cursor] source.cursor 'Company' is not a change stamp salesforce can read by; "
        "use one of: SystemModstamp (the default), LastModifiedDate, CreatedDate"
    )
    [hint] = problems(mapping(SF + "  cursor: LastModifedDate\n", ODOO))
    assert hint.startswith("m.yaml:5:11:") and hint.endswith("did you mean 'LastModifiedDate'?")
    assert ok(mapping(SF + "  cursor: LastModifiedDate\n", ODOO)).source.cursor == "LastModifiedDate"


def test_a_filter_outside_the_source_filter_language_is_refused_where_it_is_wrong() -> None:
    [sf] = problems(mapping(SF + '  filter: [["Type", "=", "x"]]\n', ODOO))
    assert sf.startswith("m.yaml:5:11: [source.filter] source.filter is not a valid salesforce filter: ")
    assert sf.endswith("""(a SOQL condition, e.g. "Type != 'Other'")""")
    odoo_source = "  system: odoo\n  object: res.partner\n  filter:\n"
    odoo_source += "    - [is_company, '=', true]\n    - [ref, '=like']\n"
    target = "  system: salesforce\n  object: Account\n  match: Id\n  mode: update\n"
    [odoo] = problems(mapping(odoo_source, target, "  Id: ref\n"))
    assert odoo.startswith("m.yaml:7:7: [source.filter[1]] source.filter[1] is not a valid odoo filter: ")
    assert "a domain, e.g." in odoo
    good = odoo_source.replace("[ref, '=like']", "[ref, '=like', '001%']")
    assert ok(mapping(good, target, "  Id: ref\n")).source.filter[1] == ["ref", "=like", "001%"]


def test_a_write_mode_or_delete_policy_the_target_cannot_do_is_refused() -> None:
    upsert = LEDGER_TARGET.replace("  mode: insert\n", "  mode: upsert\n")
    [mode] = problems(mapping(SF, upsert))
    assert mode == (
        "m.yaml:9:9: [target.mode] target.mode 'upsert' needs update, which ledger does not support; "
        "it supports: create"
    )
    [default] = problems(mapping(SF, LEDGER_TARGET.replace("  mode: insert\n", "")))  # upsert by default
    assert default.startswith("m.yaml:6:3: [target] target.mode 'upsert' needs update")
    [delete] = problems(mapping(SF + "  deletes: true\n", LEDGER_TARGET + "  on_delete: archive\n"))
    assert delete == (
        "m.yaml:11:14: [target.on_delete] target.on_delete 'archive' needs archive, which ledger does not "
        "support; it supports: create (or use on_delete: ignore)"
    )
    assert ok(mapping(SF, LEDGER_TARGET)).target.mode == "insert"


def test_deletes_asked_of_a_source_that_never_shows_them_are_refused() -> None:
    source = "  system: ledger\n  object: entry\n  deletes: true\n"
    [message] = problems(mapping(source, ODOO, "  ref: id\n"))
    assert message == (
        "m.yaml:5:12: [source.deletes] source.deletes: ledger does not show deleted entry records in its "
        "reads, so a sync cannot follow deletions; remove `deletes: true`"
    )


def test_delete_visibility_may_differ_per_object(monkeypatch: pytest.MonkeyPatch) -> None:
    caps = dataclasses.replace(LEDGER.capabilities, deletes=DeleteVisibility.TOMBSTONES,
                               object_deletes={"entry": DeleteVisibility.NONE})  # fmt: skip
    monkeypatch.setitem(manifests(), "ledger", dataclasses.replace(LEDGER, capabilities=caps))
    entry = "  system: ledger\n  object: entry\n  deletes: true\n"
    assert problems(mapping(entry, ODOO, "  ref: id\n"))
    journal = "  system: ledger\n  object: journal\n  deletes: true\n"
    assert ok(mapping(journal, ODOO, "  ref: id\n")).source.deletes


def test_a_filter_for_a_system_without_one_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    caps = dataclasses.replace(LEDGER.capabilities, filter_schema=None, filter_help="reads return all")
    monkeypatch.setitem(manifests(), "ledger", dataclasses.replace(LEDGER, capabilities=caps))
    source = "  system: ledger\n  object: entry\n  filter: {status: open}\n"
    [message] = problems(mapping(source, ODOO, "  ref: id\n"))
    assert message.startswith("m.yaml:5:")
    assert "ledger reads take no native filter (reads return all)" in message


def test_every_refusal_is_reported_at_once() -> None:
    source = "  system: ledger\n  object: entry\n  cursor: id\n  filter: {acount: '4000'}\n  deletes: true\n"
    found = problems(mapping(source, LEDGER_TARGET + "  on_delete: delete\n", "  ref: id\n"))
    assert [m.split(" [")[0] for m in found] == [
        "m.yaml:5:11:",
        "m.yaml:6:11:",
        "m.yaml:7:12:",
        "m.yaml:13:14:",
    ]


def test_an_unknown_system_is_refused_with_the_installed_ones() -> None:
    [message] = problems(mapping("  system: salesforse\n  object: Account\n", ODOO))
    assert message.startswith("m.yaml:3:11: [source.system] source.system must be ")
    assert ", ".join(sorted(manifests())) in message and message.endswith("did you mean 'salesforce'?")


def test_datetime_styles_come_from_the_installed_manifests() -> None:
    fields = "  ref: Id\n  booked: {copy: CreatedDate, transforms: [{datetime: {to: ledger}}]}\n"
    compiled = compile_mapping(ok(mapping(SF, LEDGER_TARGET, fields)))
    values = compiled.map({"Id": "001", "CreatedDate": "2026-01-02T03:04:05.000+0100"})
    assert values == {"ref": "001", "booked": int(datetime(2026, 1, 2, 2, 4, 5, tzinfo=UTC).timestamp())}

    source = "  system: ledger\n  object: entry\n"  # `from` defaults to the source system: its wire parses
    fields = "  ref: id\n  when: {copy: at, transforms: [{datetime: {to: iso}}]}\n"
    compiled = compile_mapping(ok(mapping(source, ODOO, fields)))
    assert compiled.map({"id": "1", "at": 0})["when"] == "1970-01-01T00:00:00+00:00"

    [message] = problems(
        mapping(SF, ODOO, "  ref: Id\n  x: {copy: A, transforms: [{datetime: {to: ledgr}}]}\n")
    )
    styles = ", ".join(["iso", *sorted(manifests())])  # "ledger" is among the installed systems
    assert f"datetime.to must be one of {styles} (got 'ledgr'); did you mean 'ledger'?" in message


def test_cursor_fields_may_differ_per_object(monkeypatch: pytest.MonkeyPatch) -> None:
    caps = dataclasses.replace(LEDGER.capabilities, object_cursor_fields={"journal": ("posted_at",)})
    monkeypatch.setitem(manifests(), "ledger", dataclasses.replace(LEDGER, capabilities=caps))
    journal = "  system: ledger\n  object: journal\n  cursor: posted_at\n"
    assert ok(mapping(journal, ODOO, "  ref: id\n")).source.cursor == "posted_at"
    entry = "  system: ledger\n  object: entry\n  cursor: posted_at\n"
    [message] = problems(mapping(entry, ODOO, "  ref: id\n"))
    assert "source.cursor 'posted_at' is not a change stamp ledger can read by" in message
