"""OdooConnector against the Odoo sandbox, over real HTTP through OdooRPC."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.odoo.connector import OdooConnector
from connectors.odoo.sandbox import OdooSandbox
from officebridge.connections import parse_connection, resolve_connection
from officebridge.connector import Connector, OpKind, WriteOp
from officebridge.errors import AuthenticationError, ConfigError, UnreachableError
from officebridge.retry import RetryPolicy

FAST = RetryPolicy(attempts=4, base=0.01, cap=0.05)


def connector(conn_id: str = "odoo_default", **changes: Any) -> OdooConnector:
    connection = resolve_connection(conn_id)
    if changes:
        data = {
            "conn_type": "odoo",
            "host": connection.host,
            "port": connection.port,
            "login": connection.login,
            "password": connection.password.reveal(),
            "schema": connection.schema,
            "extra": connection.extra,
        }
        data.update(changes)
        connection = parse_connection(conn_id, json.dumps(data))
    return OdooConnector(connection, retry_policy=FAST)


def test_satisfies_protocol_and_checks(odoo_conn_env: str) -> None:
    conn = connector(odoo_conn_env)
    assert isinstance(conn, Connector)
    conn.check()


def test_bad_credentials(odoo_conn_env: str) -> None:
    with pytest.raises(AuthenticationError) as caught:
        connector(odoo_conn_env, password="not-the-password").check()
    assert "not-the-password" not in str(caught.value)


def test_unknown_database(odoo_conn_env: str) -> None:
    with pytest.raises(ConfigError, match="database does not exist"):
        connector(odoo_conn_env, schema="nope").check()


def test_unreachable_port(odoo_conn_env: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free_port = sock.getsockname()[1]
    with pytest.raises(UnreachableError):
        connector(odoo_conn_env, port=free_port).check()


def test_bad_connection_settings_reported_together(odoo_conn_env: str) -> None:
    with pytest.raises(ConfigError) as caught:
        connector(odoo_conn_env, schema=None, extra={"protocol": "xmlrpc"})
    assert "schema" in str(caught.value) and "protocol" in str(caught.value)


def test_describe(odoo_conn_env: str) -> None:
    info = connector(odoo_conn_env).describe("res.partner")
    assert info.label == "Contact"
    assert info.fields["country_id"].reference_to == ("res.country",)
    assert info.fields["write_date"].readonly
    assert info.fields["type"].choices == ("contact", "invoice", "delivery", "other")
    assert info.fields["country_code"].length == 2
    assert connector(odoo_conn_env).describe("res.country").fields["code"].required
    with pytest.raises(ConfigError, match="does not exist"):
        connector(odoo_conn_env).describe("no.such.model")


def test_read_pages_through_shared_write_dates(odoo_fresh: OdooSandbox, odoo_conn_env: str) -> None:
    conn = connector(odoo_conn_env)
    ids = conn.call("res.partner", "search", [[]], {"context": {"active_test": False}})
    # 25 records share one stamp, so page boundaries (batch 7) fall inside the tie
    odoo_fresh.set_write_date("res.partner", ids[:25], "2030-01-01 00:00:00")
    since = datetime(2030, 1, 1, tzinfo=UTC)
    batches = list(
        conn.read("res.partner", ["name", "parent_id"], since=since, batch_size=7, include_deleted=True)
    )
    seen = [r.id for batch in batches for r in batch]
    assert sorted(seen, key=int) == sorted(map(str, ids[:25]), key=int)
    assert len(seen) == len(set(seen)) and len(batches) == 4
    assert all(r.cursor == since for batch in batches for r in batch)
    everything = [r for batch in conn.read("res.partner", ["name"], batch_size=50) for r in batch]
    keys = [(r.cursor, int(r.id)) for r in everything]
    assert keys == sorted(keys) and len(everything) == conn.call("res.partner", "search_count", [[]])


def test_read_values_where_and_deleted(odoo_conn_env: str) -> None:
    conn = connector(odoo_conn_env)
    rows = [
        r
        for b in conn.read("res.partner", ["name", "parent_id", "phone"], where=[["parent_id", "!=", False]])
        for r in b
    ]
    assert rows and all(isinstance(r.fields["parent_id"], int) for r in rows)
    assert all(r.cursor is not None and r.cursor.tzinfo is not None for r in rows)
    json.dumps([r.fields for r in rows])
    live = {r.id for b in conn.read("res.partner", ["name"]) for r in b}
    both = [r for b in conn.read("res.partner", ["name"], include_deleted=True) for r in b]
    deleted = {r.id for r in both if r.deleted}
    assert deleted and not deleted & live and {r.id for r in both} == live | deleted
    with pytest.raises(ConfigError, match="no field"):
        list(conn.read("res.partner", ["nope"]))


def test_lookup(odoo_conn_env: str) -> None:
    conn = connector(odoo_conn_env)
    found = conn.lookup("res.country", "code", ["DE", "FR", "XX"])
    assert set(found) == {"DE", "FR"}
    assert conn.call("res.country", "read", [[int(found["DE"])], ["name"]])[0]["name"] == "Germany"
    refs = conn.lookup("res.partner", "ref", [f"C{n:05d}" for n in range(1, 31)])
    assert len(refs) == 30  # archived companies included


def test_write_batch_isolates_failing_record(odoo_fresh: OdooSandbox, odoo_conn_env: str) -> None:
    conn = connector(odoo_conn_env)
    odoo_fresh.add_fault("record_error", field="email", value="bad@example.com", message="Invalid email")
    ops = [
        WriteOp(OpKind.CREATE, f"s{i}", {"name": f"Ünïcode {i}", "email": f"p{i}@example.com"})
        for i in range(12)
    ]
    ops[7] = WriteOp(OpKind.CREATE, "s7", {"name": "Bad", "email": "bad@example.com"})
    results = conn.write("res.partner", ops)
    assert [r.ref for r in results] == [op.ref for op in ops]
    assert [r.ok for r in results] == [i != 7 for i in range(12)]
    assert results[7].error_code == "ValidationError" and results[7].message == "Invalid email"
    created = [int(r.target_id or 0) for r in results if r.ok]
    names = conn.call("res.partner", "read", [created, ["name"]])
    assert sorted(n["name"] for n in names) == sorted(f"Ünïcode {i}" for i in range(12) if i != 7)
    assert conn.call("res.partner", "search_count", [[["email", "=", "bad@example.com"]]]) == 0


def test_updates_archive_delete_upsert(odoo_conn_env: str) -> None:
    conn = connector(odoo_conn_env)
    made = conn.write("res.partner", [WriteOp(OpKind.CREATE, f"c{i}", {"name": f"P{i}"}) for i in range(4)])
    a, b, c, d = (r.target_id for r in made)
    country = conn.lookup("res.country", "code", ["PL"])["PL"]
    results = conn.write(
        "res.partner",
        [
            WriteOp(OpKind.UPDATE, "u1", {"city": "Kraków", "country_id": country}, target_id=a),
            WriteOp(OpKind.UPDATE, "u2", {"city": "Kraków", "country_id": country}, target_id=b),
            WriteOp(OpKind.ARCHIVE, "ar", target_id=c),
            WriteOp(OpKind.DELETE, "de", target_id=d),
            WriteOp(OpKind.UPDATE, "gone", {"city": "x"}, target_id="99999999"),
            WriteOp(OpKind.UPSERT, "up-old", {"ref": "C00001", "comment": "<p>seen</p>"}, key_field="ref"),
            WriteOp(OpKind.UPSERT, "up-new", {"ref": "NEW-1", "name": "Neu GmbH"}, key_field="ref"),
            WriteOp(OpKind.UPSERT, "up-new-again", {"ref": "NEW-1", "name": "Neu GmbH 2"}, key_field="ref"),
        ],
    )
    assert [r.ok for r in results] == [True, True, True, True, False, True, True, True]
    assert results[4].error_code == "MissingError"
    assert results[6].created and not results[5].created and results[7].target_id == results[6].target_id
    rows = conn.call(
        "res.partner",
        "read",
        [[int(a), int(b), int(c), int(d)], ["city", "country_id", "active"]],
        {"load": "_classic_write"},
    )
    assert [(r["city"], r["country_id"]) for r in rows[:2]] == [("Kraków", int(country))] * 2
    assert rows[2]["active"] is False and len(rows) == 3
    assert conn.lookup("res.partner", "ref", ["NEW-1"]) == {"NEW-1": results[6].target_id}
    assert (
        conn.call("res.partner", "read", [[int(results[6].target_id or 0)], ["name"]])[0]["name"]
        == "Neu GmbH 2"
    )


def test_retries_on_503_and_429(odoo_fresh: OdooSandbox, odoo_conn_env: str) -> None:
    conn = connector(odoo_conn_env)
    conn.check()
    odoo_fresh.reset_stats()
    odoo_fresh.add_fault("server_error", times=1)
    odoo_fresh.add_fault("rate_limit", times=1, retry_after=0)
    assert conn.lookup("res.country", "code", ["DE"])
    stats = odoo_fresh.stats()
    assert stats["by_method"]["res.country.search_read"] == 3 and stats["faults"] == {
        "server_error": 1,
        "rate_limit": 1,
    }


def test_retry_after_is_honoured(odoo_fresh: OdooSandbox, odoo_conn_env: str) -> None:
    conn = connector(odoo_conn_env)
    conn.check()
    odoo_fresh.add_fault("rate_limit", times=1, retry_after=1)
    started = datetime.now(UTC)
    conn.lookup("res.country", "code", ["FR"])
    assert (datetime.now(UTC) - started).total_seconds() >= 0.95


def test_session_expiry_recovered(odoo_fresh: OdooSandbox, odoo_conn_env: str) -> None:
    conn = connector(odoo_conn_env)
    conn.check()
    odoo_fresh.reset_stats()
    odoo_fresh.add_fault("expire_sessions")
    assert conn.lookup("res.country", "code", ["JP"])
    stats = odoo_fresh.stats()
    assert stats["by_method"]["common.login"] == 1 and stats["by_method"]["res.country.search_read"] == 2


def test_password_never_logged(odoo_conn_env: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    conn = connector(odoo_conn_env)
    conn.check()
    conn.lookup("res.country", "code", ["DE"])
    assert "sandbox-pass" not in caplog.text
    assert "sandbox-pass" not in repr(conn.connection)


def test_fetch_by_id_includes_archived(odoo_conn_env: str) -> None:
    conn = connector(odoo_conn_env)
    made = conn.write(
        "res.partner",
        [WriteOp(OpKind.CREATE, "a", {"name": "Alpha"}), WriteOp(OpKind.CREATE, "b", {"name": "Beta"})],
    )
    a, b = (r.target_id or "" for r in made)
    conn.write(
        "res.partner", [WriteOp(OpKind.ARCHIVE, "b", target_id=b), WriteOp(OpKind.DELETE, "a", target_id=a)]
    )
    records = conn.fetch("res.partner", ["name"], [a, b])
    assert [(r.id, r.deleted, r.fields["name"]) for r in records] == [(b, True, "Beta")]
