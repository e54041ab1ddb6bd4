"""The Salesforce connector against the sandbox, over HTTPS, through simple-salesforce.

Every test drives the connector (and so the real client library) over real HTTP and
then asserts what the sandbox now holds, read back through an independent
simple-salesforce client (`sf_client`) or the connector's own reads. Faults are
injected by the sandbox itself, never by patching the client.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from simple_salesforce.api import Salesforce

from connectors.salesforce.connector import SalesforceConnector
from connectors.salesforce.errors import TLSVerificationError
from connectors.salesforce.sandbox import SalesforceSandbox
from officebridge.connections import Connection, parse_connection, resolve_connection
from officebridge.connector import Connector, OpKind, WriteOp
from officebridge.errors import AuthenticationError, ConfigError, FatalError, UnreachableError
from officebridge.retry import RetryPolicy
from officebridge.secrets import Secret

FAST = RetryPolicy(attempts=4, base=0.01, cap=0.05)
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def connection(sb: SalesforceSandbox, **extra: Any) -> Connection:
    conn = parse_connection("sf_test", sb.connection_value())
    return dataclasses.replace(conn, extra={**conn.extra, **extra})


def connector(sb: SalesforceSandbox, **extra: Any) -> SalesforceConnector:
    return SalesforceConnector(connection(sb, **extra), retry_policy=FAST)


def ids_where(client: Salesforce, soql: str, include_deleted: bool = False) -> list[str]:
    return [r["Id"] for r in client.query_all(soql, include_deleted=include_deleted)["records"]]


def route_count(sb: SalesforceSandbox, fragment: str) -> int:
    return sum(n for route, n in sb.stats()["by_route"].items() if fragment in route)


# --- check, credentials, TLS --------------------------------------------------------------


def test_resolves_from_airflow_env_and_checks(sf_sandbox: SalesforceSandbox, sf_conn_env: str) -> None:
    conn = SalesforceConnector(resolve_connection("salesforce_default"), retry_policy=FAST)
    assert isinstance(conn, Connector)
    conn.check()
    assert conn.logins == 1
    assert conn.api_usage is not None and conn.api_usage.total > 0


def test_bad_password_names_user_and_connection_not_password(
    sf_sandbox: SalesforceSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    bad = "Wrong-Pa55word!"
    conn = SalesforceConnector(
        dataclasses.replace(connection(sf_sandbox), password=Secret(bad)), retry_policy=FAST
    )
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthenticationError) as info:
        conn.check()
    message = str(info.value)
    assert sf_sandbox.user.username in message and "'sf_test'" in message
    assert "INVALID_LOGIN" in message
    for secret in (bad, sf_sandbox.user.security_token):
        assert secret not in message and secret not in caplog.text


def test_missing_settings_are_all_reported() -> None:
    with pytest.raises(ConfigError) as info:
        SalesforceConnector(
            Connection(conn_id="sf_bad", conn_type="salesforce", extra={"version": "v59", "ca_file": "/nope"})
        )
    text = str(info.value)
    for part in ("login", "password", "version", "ca_file"):
        assert part in text


def test_unreachable_port_is_unreachable_error(sf_sandbox: SalesforceSandbox) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conn = connector(sf_sandbox, instance_url=f"https://127.0.0.1:{port}")
    with pytest.raises(UnreachableError) as info:
        conn.check()
    assert f"127.0.0.1:{port}" in str(info.value) and "sf_test" in str(info.value)


@pytest.mark.parametrize("ca_file", [SYSTEM_BUNDLE, None], ids=["other-ca", "default-trust"])
def test_wrong_ca_is_a_clear_fatal_error(sf_sandbox: SalesforceSandbox, ca_file: str | None) -> None:
    conn = connection(sf_sandbox, ca_file=ca_file)
    if ca_file is None:
        conn = dataclasses.replace(conn, extra={k: v for k, v in conn.extra.items() if k != "ca_file"})
    sf = SalesforceConnector(conn, retry_policy=FAST)
    with pytest.raises(TLSVerificationError) as info:
        sf.check()
    assert isinstance(info.value, FatalError)
    assert "TLS verification" in str(info.value) and "CERTIFICATE_VERIFY_FAILED" in str(info.value)


def test_requests_ca_bundle_env_does_not_override_ca_file(
    sf_sandbox: SalesforceSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", SYSTEM_BUNDLE)
    monkeypatch.setenv("CURL_CA_BUNDLE", SYSTEM_BUNDLE)
    conn = connector(sf_sandbox)
    conn.check()
    assert next(iter(conn.read("Account", ["Name"], batch_size=200)))


# --- describe -------------------------------------------------------------------------------


def test_describe_account_and_contact(sf_sandbox: SalesforceSandbox) -> None:
    conn = connector(sf_sandbox)
    account = conn.describe("Account")
    assert account.name == "Account"
    name = account.fields["Name"]
    assert name.required and not name.readonly and name.length == 255
    assert account.fields["Id"].external_id and account.fields["Id"].readonly
    assert account.fields["External_Id__c"].external_id
    assert account.fields["SystemModstamp"].readonly and not account.fields["SystemModstamp"].required
    assert not account.fields["OwnerId"].required  # defaulted on create
    assert "Banking" in account.fields["Industry"].choices
    assert account.fields["ParentId"].reference_to == ("Account",)

    contact = conn.describe("Contact")
    assert contact.fields["LastName"].required
    assert not contact.fields["FirstName"].required
    assert contact.fields["AccountId"].reference_to == ("Account",)
    assert contact.fields["Name"].readonly  # compound name, computed


# --- read -----------------------------------------------------------------------------------


def test_read_pages_share_one_stamp_across_the_boundary(
    sf_sandbox_fresh: SalesforceSandbox, sf_client: Salesforce
) -> None:
    sb = sf_sandbox_fresh
    all_ids = ids_where(sf_client, "SELECT Id FROM Account ORDER BY Id")
    assert len(all_ids) >= 300
    stamp = datetime(2030, 5, 1, 12, 0, 0, 123000, tzinfo=UTC)
    sb.touch("Account", all_ids[:250], stamp)  # 250 records on one stamp: page 1 ends in the middle
    later = datetime(2030, 5, 1, 12, 0, 1, tzinfo=UTC)
    sb.touch("Account", all_ids[250:300], later)
    sb.reset_stats()

    batches = list(connector(sb).read("Account", ["Name", "Industry"], since=stamp, batch_size=200))
    got = [r.id for b in batches for r in b]
    assert [len(b) for b in batches] == [200, 100]
    assert len(got) == len(set(got)) == 300
    assert set(got) == set(all_ids[:300])
    keys = [(r.cursor, r.id) for b in batches for r in b]
    assert keys == sorted(keys)
    first = batches[0][0]
    assert first.cursor == stamp and first.cursor.tzinfo is not None
    assert set(first.fields) == {"Name", "Industry"} and not first.deleted
    assert route_count(sb, "query") == 2  # one query, one queryMore


def test_read_where_relationship_and_small_batches(
    sf_sandbox_fresh: SalesforceSandbox, sf_client: Salesforce
) -> None:
    conn = connector(sf_sandbox_fresh)
    acc = conn.write("Account", [WriteOp(OpKind.CREATE, "a", {"Name": "Rel Parent O'Brien"})])[0]
    conn.write(
        "Contact",
        [
            WriteOp(OpKind.CREATE, f"c{i}", {"LastName": f"Rel Kid {i}", "AccountId": acc.target_id})
            for i in range(3)
        ]
        + [WriteOp(OpKind.CREATE, "orphan", {"LastName": "Rel Orphan"})],
    )
    batches = list(
        conn.read("Contact", ["LastName", "Account.Name"], where="LastName LIKE 'Rel %'", batch_size=3)
    )
    assert [len(b) for b in batches] == [3, 1]
    by_name = {r.fields["LastName"]: r.fields["Account.Name"] for b in batches for r in b}
    assert by_name == {
        "Rel Kid 0": "Rel Parent O'Brien",
        "Rel Kid 1": "Rel Parent O'Brien",
        "Rel Kid 2": "Rel Parent O'Brien",
        "Rel Orphan": None,
    }


def test_read_include_deleted(sf_sandbox_fresh: SalesforceSandbox, sf_client: Salesforce) -> None:
    conn = connector(sf_sandbox_fresh)
    made = conn.write("Account", [WriteOp(OpKind.CREATE, n, {"Name": f"Gone {n}"}) for n in ("keep", "drop")])
    conn.write("Account", [WriteOp(OpKind.DELETE, "drop", target_id=made[1].target_id)])

    live = [r for b in conn.read("Account", ["Name"], where="Name LIKE 'Gone %'") for r in b]
    assert [r.fields["Name"] for r in live] == ["Gone keep"]
    every = {
        r.id: r
        for b in conn.read("Account", ["Name"], where="Name LIKE 'Gone %'", include_deleted=True)
        for r in b
    }
    keep, drop = (r.target_id or "" for r in made)
    assert every[drop].deleted and not every[keep].deleted
    assert ids_where(sf_client, f"SELECT Id FROM Account WHERE Id = '{made[1].target_id}'") == []


# --- lookup ---------------------------------------------------------------------------------


def test_lookup_maps_values_to_ids_in_chunks(
    sf_sandbox_fresh: SalesforceSandbox, sf_client: Salesforce
) -> None:
    conn = connector(sf_sandbox_fresh)
    made = conn.write(
        "Account",
        [
            WriteOp(OpKind.CREATE, str(i), {"Name": f"Lk {i}", "External_Id__c": f"LK-{i:05d}"})
            for i in range(5)
        ],
    )
    wanted = [f"LK-{i:05d}" for i in range(5)] + ["lk-00003", "missing", None]
    wanted += [f"NOPE-{i:06d}-{'x' * 20}" for i in range(1500)]  # long enough to need several GETs
    sf_sandbox_fresh.reset_stats()
    found = conn.lookup("Account", "External_Id__c", wanted)
    assert found == {**{f"LK-{i:05d}": made[i].target_id for i in range(5)}, "lk-00003": made[3].target_id}
    assert route_count(sf_sandbox_fresh, "GET /services/data/vXX.X/query") >= 2
    assert conn.lookup("Account", "External_Id__c", []) == {}
    assert conn.lookup("Account", "Id", [made[0].target_id]) == {made[0].target_id: made[0].target_id}


# --- write ----------------------------------------------------------------------------------


def test_write_450_mixed_with_one_failure(sf_sandbox_fresh: SalesforceSandbox, sf_client: Salesforce) -> None:
    conn = connector(sf_sandbox_fresh)
    existing = ids_where(sf_client, "SELECT Id FROM Account ORDER BY Id LIMIT 100")
    ops = [
        WriteOp(OpKind.CREATE, f"n{i}", {"Name": f"Bulk {i:03d}", "NumberOfEmployees": i}) for i in range(300)
    ]
    ops[250] = WriteOp(OpKind.CREATE, "n250", {"NumberOfEmployees": 250})  # no Name: Salesforce refuses it
    ops += [
        WriteOp(OpKind.UPDATE, f"u{i}", {"Site": "Bulk-updated"}, target_id=t) for i, t in enumerate(existing)
    ]
    ops += [WriteOp(OpKind.CREATE, f"m{i}", {"Name": f"Bulk {300 + i:03d}"}) for i in range(50)]
    sf_sandbox_fresh.reset_stats()

    results = conn.write("Account", ops)

    assert [r.ref for r in results] == [op.ref for op in ops]
    failed = [r for r in results if not r.ok]
    assert len(failed) == 1 and failed[0].ref == "n250"
    assert failed[0].error_code == "REQUIRED_FIELD_MISSING" and failed[0].fields == ("Name",)
    assert all(r.created for r in results if r.ok and r.ref[0] in "nm")
    assert all(r.target_id and not r.created for r in results if r.ref[0] == "u")
    assert (
        route_count(sf_sandbox_fresh, "composite/sobjects") == 4
    )  # 200 + 100 creates, 100 updates, 50 creates
    assert len(ids_where(sf_client, "SELECT Id FROM Account WHERE Name LIKE 'Bulk %'")) == 349
    assert len(ids_where(sf_client, "SELECT Id FROM Account WHERE Site = 'Bulk-updated'")) == 100
    created_ids = {r.target_id for r in results if r.created}
    assert len(created_ids) == 349


def test_record_error_fault_fails_only_that_record(
    sf_sandbox_fresh: SalesforceSandbox, sf_client: Salesforce
) -> None:
    sf_sandbox_fresh.add_fault(
        "record_error",
        field="Name",
        value="Poison",
        error_code="FIELD_CUSTOM_VALIDATION_EXCEPTION",
        message="Name may not be Poison",
    )
    results = connector(sf_sandbox_fresh).write(
        "Account", [WriteOp(OpKind.CREATE, r, {"Name": r}) for r in ("Fine A", "Poison", "Fine B")]
    )
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].error_code == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert "Poison" in (results[1].message or "")
    assert len(ids_where(sf_client, "SELECT Id FROM Account WHERE Name LIKE 'Fine %'")) == 2


def test_upsert_reports_created_then_updated(
    sf_sandbox_fresh: SalesforceSandbox, sf_client: Salesforce
) -> None:
    conn = connector(sf_sandbox_fresh)

    def upsert(name: str) -> Any:
        values = {"External_Id__c": "UP-1", "Name": name}
        return conn.write("Account", [WriteOp(OpKind.UPSERT, "s1", values, key_field="External_Id__c")])[0]

    first, second = upsert("Upsert v1"), upsert("Upsert v2")
    assert first.ok and first.created
    assert second.ok and not second.created and second.target_id == first.target_id
    rows = sf_client.query(f"SELECT Name FROM Account WHERE Id = '{first.target_id}'")["records"]
    assert [r["Name"] for r in rows] == ["Upsert v2"]
    missing_key = conn.write(
        "Account", [WriteOp(OpKind.UPSERT, "s2", {"Name": "x"}, key_field="External_Id__c")]
    )
    assert missing_key[0].error_code == "MISSING_EXTERNAL_ID"


def test_delete_and_archive(sf_sandbox_fresh: SalesforceSandbox, sf_client: Salesforce) -> None:
    conn = connector(sf_sandbox_fresh)
    made = conn.write("Account", [WriteOp(OpKind.CREATE, n, {"Name": f"Del {n}"}) for n in ("a", "b", "c")])
    ids = [r.target_id for r in made]
    results = conn.write(
        "Account",
        [
            WriteOp(OpKind.DELETE, "a", target_id=ids[0]),
            WriteOp(OpKind.DELETE, "b", target_id=ids[1]),
            WriteOp(OpKind.ARCHIVE, "c", target_id=ids[2]),
            WriteOp(OpKind.DELETE, "none"),
        ],
    )
    assert [r.ok for r in results] == [True, True, False, False]
    assert results[2].error_code == "ARCHIVE_NOT_SUPPORTED" and results[3].error_code == "MISSING_TARGET_ID"
    assert ids_where(sf_client, "SELECT Id FROM Account WHERE Name LIKE 'Del %'") == [ids[2]]
    assert set(
        ids_where(sf_client, "SELECT Id FROM Account WHERE IsDeleted = true", include_deleted=True)
    ) >= {ids[0], ids[1]}
    again = conn.write("Account", [WriteOp(OpKind.DELETE, "a", target_id=ids[0])])[0]
    assert not again.ok and again.error_code  # Salesforce's own code for an already deleted record


# --- transient faults -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "params"),
    [("rate_limit", {"retry_after": 0}), ("server_error", {}), ("request_limit", {})],
)
def test_transient_faults_are_retried(
    sf_sandbox_fresh: SalesforceSandbox, kind: str, params: dict[str, Any]
) -> None:
    conn = connector(sf_sandbox_fresh)
    conn.check()
    sf_sandbox_fresh.add_fault(kind, times=2, path=r"/query", **params)
    sf_sandbox_fresh.reset_stats()
    batches = list(conn.read("Account", ["Name"], batch_size=2000))
    assert sum(len(b) for b in batches) >= 300
    assert route_count(sf_sandbox_fresh, "query") == 3  # two refused, one served


def test_rate_limit_retry_after_is_honoured(sf_sandbox_fresh: SalesforceSandbox) -> None:
    conn = SalesforceConnector(connection(sf_sandbox_fresh), retry_policy=RetryPolicy(base=0.01, cap=0.02))
    conn.check()
    sf_sandbox_fresh.add_fault("rate_limit", times=1, path=r"/limits", retry_after=1)
    started = time.monotonic()
    conn.check()
    assert time.monotonic() - started >= 0.95


def test_write_retries_a_503_without_writing_twice(
    sf_sandbox_fresh: SalesforceSandbox, sf_client: Salesforce
) -> None:
    sf_sandbox_fresh.add_fault("server_error", times=1, path=r"/composite/sobjects")
    results = connector(sf_sandbox_fresh).write(
        "Account", [WriteOp(OpKind.CREATE, "x", {"Name": "Once Only"})]
    )
    assert results[0].ok
    assert len(ids_where(sf_client, "SELECT Id FROM Account WHERE Name = 'Once Only'")) == 1


def test_create_after_a_500_is_reported_not_resent(
    sf_sandbox_fresh: SalesforceSandbox, sf_client: Salesforce
) -> None:
    """A 500 on a create leaves its outcome unknown: fail the records (dead letters), do not resend."""
    sf_sandbox_fresh.add_fault(
        "server_error",
        times=1,
        path=r"/composite/sobjects",
        status=500,
        error_code="UNKNOWN_EXCEPTION",
        message="An unexpected error occurred.",
    )
    sf_sandbox_fresh.reset_stats()
    results = connector(sf_sandbox_fresh).write("Account", [WriteOp(OpKind.CREATE, "x", {"Name": "Maybe"})])
    assert not results[0].ok and results[0].error_code == "OUTCOME_UNKNOWN"
    assert route_count(sf_sandbox_fresh, "composite/sobjects") == 1


def test_expired_session_is_recovered_by_logging_in_again(
    sf_sandbox_fresh: SalesforceSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    conn = connector(sf_sandbox_fresh)
    conn.check()
    first_session = conn._client.session_id if conn._client else ""
    sf_sandbox_fresh.add_fault("expire_sessions", times=1)
    assert conn.describe("Account").name == "Account"
    assert conn.logins == 2
    for secret in (first_session, sf_sandbox_fresh.user.password, sf_sandbox_fresh.user.security_token):
        assert secret and secret not in caplog.text


def test_timeout_is_retried_for_reads(sf_sandbox_fresh: SalesforceSandbox) -> None:
    conn = connector(sf_sandbox_fresh, timeout=0.5)
    conn.check()
    sf_sandbox_fresh.add_fault("timeout", times=1, path=r"/query", delay=1.5)
    assert sum(len(b) for b in conn.read("Account", ["Name"])) >= 300


def test_fetch_by_id_includes_deleted_records(sf_sandbox_fresh: SalesforceSandbox) -> None:
    conn = connector(sf_sandbox_fresh)
    made = conn.write("Account", [WriteOp(OpKind.CREATE, n, {"Name": f"Fetch {n}"}) for n in ("a", "b")])
    ids = [r.target_id or "" for r in made]
    conn.write("Account", [WriteOp(OpKind.DELETE, "b", target_id=ids[1])])
    got = conn.fetch("Account", ["Name"], [ids[1], "001000000000000AAA", ids[0]])
    assert [(r.id, r.deleted, r.fields["Name"]) for r in got] == [
        (ids[1], True, "Fetch b"),
        (ids[0], False, "Fetch a"),
    ]
