"""What only Salesforce has, beyond the generated contract suite: TLS trust, relationship fields,
composite request counts, the daily request limit, a 500 on a create, logins and API usage, and
SOQL built from hostile values. Through simple-salesforce over HTTPS against the sandbox."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from simple_salesforce.api import Salesforce

from connectors.salesforce.connector import SalesforceConnector
from connectors.salesforce.sandbox import SalesforceSandbox
from officebridge.connections import Connection, parse_connection
from officebridge.connector import OpKind, ReadRequest, WriteOp, WriteStatus
from officebridge.errors import FatalError, TLSVerificationError
from officebridge.retry import RetryPolicy

FAST = RetryPolicy(attempts=4, base=0.01, cap=0.05)
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
NAMES = ["O'Brien", "back\\slash", 'say "hi"', "O\\'Neil"]  # records that exist
ATTACKS = ["x' OR Name != '", "x\\' OR Name != '", "' OR Id != null OR Name = '", "100%", "O_Brien", "%"]


def connection(sb: SalesforceSandbox, **extra: Any) -> Connection:
    conn = parse_connection("sf_test", sb.connection_value())
    return dataclasses.replace(conn, extra={**conn.extra, **extra})


def connector(sb: SalesforceSandbox, **extra: Any) -> SalesforceConnector:
    return SalesforceConnector(connection(sb, **extra), retry_policy=FAST)


def ids_where(client: Salesforce, soql: str) -> list[str]:
    return [r["Id"] for r in client.query_all(soql)["records"]]


def route_count(sb: SalesforceSandbox, fragment: str) -> int:
    return sum(n for route, n in sb.stats()["by_route"].items() if fragment in route)


def read(conn: SalesforceConnector, obj: str, fields: list[str], **kw: Any) -> list[list[Any]]:
    return [page.records for page in conn.read(ReadRequest(obj, fields, **kw))]


# --- TLS ------------------------------------------------------------------------------------


@pytest.mark.parametrize("ca_file", [SYSTEM_BUNDLE, None], ids=["other-ca", "default-trust"])
def test_wrong_ca_is_a_clear_fatal_error(sf_sandbox: SalesforceSandbox, ca_file: str | None) -> None:
    conn = connection(sf_sandbox, ca_file=ca_file)
    if ca_file is None:
        conn = dataclasses.replace(conn, extra={k: v for k, v in conn.extra.items() if k != "ca_file"})
    with pytest.raises(TLSVerificationError) as info:
        SalesforceConnector(conn, retry_policy=FAST).check()
    assert isinstance(info.value, FatalError)
    assert "TLS verification" in str(info.value) and "CERTIFICATE_VERIFY_FAILED" in str(info.value)


def test_requests_ca_bundle_env_does_not_override_ca_file(
    sf_sandbox: SalesforceSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", SYSTEM_BUNDLE)
    monkeypatch.setenv("CURL_CA_BUNDLE", SYSTEM_BUNDLE)
    conn = connector(sf_sandbox)
    conn.check()
    assert read(conn, "Account", ["Name"], batch_size=200)[0]


# --- relationship fields, composite counts --------------------------------------------------


def test_read_relationship_fields_with_a_filter_in_small_pages(sf_sandbox_fresh: SalesforceSandbox) -> None:
    conn = connector(sf_sandbox_fresh)
    acc = conn.write("Account", [WriteOp(OpKind.CREATE, "a", {"Name": "Rel Parent O'Brien"})])[0]
    kids = [
        WriteOp(OpKind.CREATE, f"c{i}", {"LastName": f"Rel Kid {i}", "AccountId": acc.target_id})
        for i in range(3)
    ]
    conn.write("Contact", [*kids, WriteOp(OpKind.CREATE, "orphan", {"LastName": "Rel Orphan"})])
    pages = read(conn, "Contact", ["LastName", "Account.Name"], filter="LastName LIKE 'Rel %'", batch_size=3)
    assert [len(p) for p in pages] == [3, 1]
    by_name = {r.fields["LastName"]: r.fields["Account.Name"] for p in pages for r in p}
    assert by_name == {**{f"Rel Kid {i}": "Rel Parent O'Brien" for i in range(3)}, "Rel Orphan": None}


def test_450_mixed_writes_take_four_composite_requests(
    sf_sandbox_fresh: SalesforceSandbox, sf_client: Salesforce
) -> None:
    conn = connector(sf_sandbox_fresh)
    existing = ids_where(sf_client, "SELECT Id FROM Account ORDER BY Id LIMIT 100")
    ops = [
        WriteOp(OpKind.CREATE, f"n{i}", {"Name": f"Bulk {i:03d}", "NumberOfEmployees": i}) for i in range(300)
    ]
    ops[250] = WriteOp(OpKind.CREATE, "n250", {"NumberOfEmployees": 250})  # no Name: refused
    ops += [
        WriteOp(OpKind.UPDATE, f"u{i}", {"Site": "Bulk-updated"}, target_id=t) for i, t in enumerate(existing)
    ]
    ops += [WriteOp(OpKind.CREATE, f"m{i}", {"Name": f"Bulk {300 + i:03d}"}) for i in range(50)]
    sf_sandbox_fresh.reset_stats()
    results = conn.write("Account", ops)
    assert [r.ref for r in results] == [op.ref for op in ops]
    failed = [r for r in results if not r.ok]
    assert [(r.ref, r.error_code, r.fields) for r in failed] == [
        ("n250", "REQUIRED_FIELD_MISSING", ("Name",))
    ]
    assert route_count(sf_sandbox_fresh, "composite/sobjects") == 4  # 200 + 100 creates, 100 updates, 50
    assert len(ids_where(sf_client, "SELECT Id FROM Account WHERE Name LIKE 'Bulk %'")) == 349
    assert len(ids_where(sf_client, "SELECT Id FROM Account WHERE Site = 'Bulk-updated'")) == 100


# --- limits, a 500 on a create, logins ------------------------------------------------------


def test_the_daily_request_limit_is_retried(sf_sandbox_fresh: SalesforceSandbox) -> None:
    conn = connector(sf_sandbox_fresh)
    conn.check()
    sf_sandbox_fresh.add_fault("request_limit", times=2, path=r"/query")
    sf_sandbox_fresh.reset_stats()
    assert sum(len(p) for p in read(conn, "Account", ["Name"], batch_size=2000)) >= 300
    assert route_count(sf_sandbox_fresh, "query") == 3  # two refused, one served


def test_a_500_on_a_create_is_unknown_and_not_resent(
    sf_sandbox_fresh: SalesforceSandbox, sf_client: Salesforce
) -> None:
    sf_sandbox_fresh.add_fault("api_error", path=r"/composite/sobjects", status=500)
    sf_sandbox_fresh.reset_stats()
    results = connector(sf_sandbox_fresh).write(
        "Account", [WriteOp(OpKind.CREATE, "x", {"Name": "Maybe 500"})]
    )
    assert results[0].status is WriteStatus.UNKNOWN and results[0].error_code == "OUTCOME_UNKNOWN"
    assert route_count(sf_sandbox_fresh, "composite/sobjects") == 1


def test_logins_and_api_usage_are_reported(sf_sandbox_fresh: SalesforceSandbox) -> None:
    conn = connector(sf_sandbox_fresh)
    conn.check()
    assert conn.logins == 1 and conn.api_usage is not None
    used = conn.api_usage.used
    sf_sandbox_fresh.add_fault("expire_sessions")
    assert conn.describe("Contact").name == "Contact"
    assert conn.logins == 2
    assert conn.api_usage.used > used and conn.api_usage.total >= conn.api_usage.used


# --- SOQL from hostile values ---------------------------------------------------------------


def test_hostile_lookup_values_match_only_themselves(sf_sandbox_fresh: SalesforceSandbox) -> None:
    conn = connector(sf_sandbox_fresh)
    made = conn.write("Account", [WriteOp(OpKind.CREATE, v, {"Name": v}) for v in NAMES])
    assert all(r.ok for r in made)
    by_name = {v: r.target_id for v, r in zip(NAMES, made, strict=True)}
    assert conn.lookup("Account", "Name", NAMES + ATTACKS) == by_name  # the attempts match nothing
    assert conn.lookup("Account", "Name", ATTACKS) == {}
    assert conn.fetch("Account", ["Name"], ["001' OR Name != '"]) == []
