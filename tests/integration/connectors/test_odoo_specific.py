"""What only Odoo has, beyond the generated contract suite: an unknown database, res.country
lookups, archived records in lookups and fetches, the MissingError code, and domains built from
hostile values. Through OdooRPC over HTTP against the sandbox."""

from __future__ import annotations

import json
from typing import Any

import pytest

from connectors.odoo.connector import OdooConnector
from connectors.odoo.sandbox import OdooSandbox
from officebridge.connections import parse_connection
from officebridge.connector import OpKind, WriteOp
from officebridge.errors import ConfigError
from officebridge.retry import RetryPolicy

FAST = RetryPolicy(attempts=4, base=0.01, cap=0.05)
HOSTILE = ["O'Brien", "back\\slash", 'say "hi"', "x' OR name != '", "100%", "a_b", "%", "' or 1=1 --"]


def connector(sb: OdooSandbox, **changes: Any) -> OdooConnector:
    data = {**json.loads(sb.connection_value()), **changes}
    return OdooConnector(parse_connection("odoo_test", json.dumps(data)), retry_policy=FAST)


def test_an_unknown_database_is_a_config_error(odoo_fresh: OdooSandbox) -> None:
    with pytest.raises(ConfigError, match="database does not exist"):
        connector(odoo_fresh, schema="nope").check()


def test_countries_are_found_by_code(odoo_fresh: OdooSandbox) -> None:
    conn = connector(odoo_fresh)
    found = conn.lookup("res.country", "code", ["DE", "FR", "XX"])
    assert set(found) == {"DE", "FR"}
    assert conn.call("res.country", "read", [[int(found["DE"])], ["name"]])[0]["name"] == "Germany"
    assert conn.describe("res.country").fields["code"].external_id


def test_lookups_and_fetches_include_archived_records(odoo_fresh: OdooSandbox) -> None:
    conn = connector(odoo_fresh)
    before = conn.lookup("res.partner", "ref", [f"C{n:05d}" for n in range(1, 31)])
    assert len(before) == 30
    conn.write("res.partner", [WriteOp(OpKind.ARCHIVE, "old", target_id=before["C00001"])])
    assert conn.lookup("res.partner", "ref", ["C00001"]) == {"C00001": before["C00001"]}  # archived, found
    made = conn.write("res.partner", [WriteOp(OpKind.CREATE, n, {"name": n}) for n in ("Alpha", "Beta")])
    a, b = (r.target_id or "" for r in made)
    conn.write(
        "res.partner", [WriteOp(OpKind.ARCHIVE, "b", target_id=b), WriteOp(OpKind.DELETE, "a", target_id=a)]
    )
    records = conn.fetch("res.partner", ["name"], [a, b])
    assert [(r.id, r.deleted, r.fields["name"]) for r in records] == [(b, True, "Beta")]


def test_an_update_of_a_missing_record_fails_with_missing_error(odoo_fresh: OdooSandbox) -> None:
    conn = connector(odoo_fresh)
    results = conn.write(
        "res.partner",
        [
            WriteOp(OpKind.UPDATE, "gone", {"city": "x"}, target_id="99999999"),
            WriteOp(OpKind.UPDATE, "not-an-id", {"city": "x"}, target_id="abc"),
        ],
    )
    assert [(r.ok, r.error_code) for r in results] == [(False, "MissingError"), (False, "MissingError")]


def test_hostile_lookup_values_match_only_themselves(odoo_fresh: OdooSandbox) -> None:
    conn = connector(odoo_fresh)
    made = conn.write("res.partner", [WriteOp(OpKind.CREATE, v, {"name": v, "ref": v}) for v in HOSTILE[:3]])
    by_ref = {v: r.target_id for v, r in zip(HOSTILE, made, strict=False)}
    assert conn.lookup("res.partner", "ref", HOSTILE) == {v: by_ref[v] for v in HOSTILE[:3]}
    assert conn.lookup("res.partner", "name", ["%", "_", "' or 1=1 --"]) == {}  # no wildcard, no SQL


def test_two_upserts_of_one_new_key_in_a_batch_make_one_record(odoo_fresh: OdooSandbox) -> None:
    conn = connector(odoo_fresh)
    results = conn.write(
        "res.partner",
        [
            WriteOp(OpKind.UPSERT, "first", {"ref": "NEW-1", "name": "Neu GmbH"}, key_field="ref"),
            WriteOp(OpKind.UPSERT, "again", {"ref": "NEW-1", "name": "Neu GmbH 2"}, key_field="ref"),
        ],
    )
    assert results[0].created and results[1].ok and results[1].target_id == results[0].target_id
    rows = conn.call("res.partner", "search_read", [[["ref", "=", "NEW-1"]]], {"fields": ["name"]})
    assert [r["name"] for r in rows] == ["Neu GmbH 2"]
