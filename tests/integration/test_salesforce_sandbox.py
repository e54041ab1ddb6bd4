"""The Salesforce sandbox driven by the real simple-salesforce client over HTTPS.

Each test asserts what the client sees (status, exception class, errorCode) or what
the sandbox now holds, the same things a connector relies on against real Salesforce.
"""

from __future__ import annotations

import json
import logging
import socket
import ssl
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from connectors.salesforce.sandbox import SalesforceSandbox
from connectors.salesforce.sandbox.ids import checksum_suffix
from connectors.salesforce.sandbox.schema import DESCRIBE_DIR
from connectors.salesforce.sandbox.seed_pipeline import PEOPLE, person_email
from officebridge.connections import resolve_connection
from tests.fixtures.salesforce import VerifyingSession, login


def _code(exc: pytest.ExceptionInfo[Exception]) -> str:
    return exc.value.content[0]["errorCode"]  # type: ignore[attr-defined]


# -- login and session ------------------------------------------------------------------------
def test_login_ok_and_bad_password(sf_sandbox: SalesforceSandbox) -> None:
    sf = login(sf_sandbox)
    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] >= 1
    with pytest.raises(SalesforceAuthenticationFailed) as exc:
        login(sf_sandbox, password="wrong")
    assert exc.value.code == "INVALID_LOGIN"


def test_oauth_password_grant(sf_sandbox: SalesforceSandbox) -> None:
    s = VerifyingSession(sf_sandbox.ca_file)
    u = sf_sandbox.user
    form = {
        "grant_type": "password",
        "client_id": "x",
        "client_secret": "y",
        "username": u.username,
        "password": u.password + u.security_token,
    }
    ok = s.post(f"{sf_sandbox.url}/services/oauth2/token", data=form)
    assert ok.status_code == 200 and ok.json()["instance_url"] == sf_sandbox.url
    bad = s.post(f"{sf_sandbox.url}/services/oauth2/token", data={**form, "password": "nope"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"


def test_invalid_session_is_401_list(sf_sandbox: SalesforceSandbox) -> None:
    s = VerifyingSession(sf_sandbox.ca_file)
    sf = Salesforce(session_id="bogus", instance=sf_sandbox.url[8:], session=s, version="59.0")
    with pytest.raises(SalesforceExpiredSession) as exc:
        sf.query("SELECT Id FROM Account")
    assert exc.value.content == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def test_tls_is_verified_against_sandbox_ca(sf_sandbox: SalesforceSandbox) -> None:
    """The system bundle (REQUESTS_CA_BUNDLE on this machine) must not trust the sandbox."""
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{sf_sandbox.url}/services/data/", verify=True, timeout=5)
    assert VerifyingSession(sf_sandbox.ca_file).get(f"{sf_sandbox.url}/services/data/").status_code == 200


# -- query ------------------------------------------------------------------------------------
def test_query_pages_with_next_records_url(sf_client: Salesforce, sf_sandbox: SalesforceSandbox) -> None:
    small = sf_client.query("SELECT Id FROM Account LIMIT 300")  # under the default 2000: one page
    assert small["done"] is True and len(small["records"]) == small["totalSize"] == 300
    sf_client.session.headers["Sforce-Query-Options"] = "batchSize=200"
    try:
        page1 = sf_client.query("SELECT Id, Name, Email FROM Contact LIMIT 350")
    finally:
        del sf_client.session.headers["Sforce-Query-Options"]
    assert page1["totalSize"] == 350 and page1["done"] is False and len(page1["records"]) == 200
    assert page1["nextRecordsUrl"].startswith("/services/data/v59.0/query/01g")
    page2 = sf_client.query_more(page1["nextRecordsUrl"], identifier_is_url=True)
    assert page2["done"] is True and len(page2["records"]) == 150 and "nextRecordsUrl" not in page2
    ids = [r["Id"] for r in page1["records"] + page2["records"]]
    assert len(set(ids)) == 350
    rec = page1["records"][0]
    assert set(rec) == {"attributes", "Id", "Name", "Email"} and rec["attributes"]["type"] == "Contact"


def test_query_all_includes_deleted(sf_sandbox_fresh: SalesforceSandbox, sf_client: Salesforce) -> None:
    acc = sf_client.Account.create({"Name": "Doomed Ltd"})["id"]
    sf_client.Account.delete(acc)
    soql = f"SELECT Id, IsDeleted FROM Account WHERE Id = '{acc}'"
    assert sf_client.query(soql)["totalSize"] == 0
    rows = sf_client.query_all(soql, include_deleted=True)["records"]
    assert [(r["Id"], r["IsDeleted"]) for r in rows] == [(acc, True)]
    with pytest.raises(SalesforceResourceNotFound) as exc:
        sf_client.Account.get(acc)
    assert _code(exc) == "ENTITY_IS_DELETED"


def test_soql_filters(sf_sandbox_fresh: SalesforceSandbox, sf_client: Salesforce) -> None:
    a = sf_client.Account.create({"Name": "Zeta Filter", "BillingCountry": "Germany", "Industry": "Banking"})[
        "id"
    ]
    b = sf_client.Account.create({"Name": "Alpha Filter", "BillingCountry": "Japan", "Industry": "Energy"})[
        "id"
    ]
    c = sf_client.Account.create({"Name": "Mid Filter", "BillingCountry": "France"})["id"]
    at = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    sf_sandbox_fresh.touch("Account", [a, b], at)
    for literal in ("2031-05-06T07:08:09Z", "2031-05-06T07:08:09+00:00", "2031-05-06T09:08:09+02:00"):
        rows = sf_client.query(f"SELECT Id FROM Account WHERE SystemModstamp = {literal} ORDER BY Name")[
            "records"
        ]
        assert [r["Id"] for r in rows] == [b, a], literal
    rows = sf_client.query(
        "SELECT Id, Name FROM Account WHERE Name LIKE '%filter' AND (BillingCountry IN ('Germany', 'France') "
        "OR Industry = 'Energy') ORDER BY BillingCountry DESC NULLS LAST, Name LIMIT 2"
    )["records"]
    assert [r["Id"] for r in rows] == [b, a]
    rows = sf_client.query(
        "SELECT Id FROM Account WHERE Name LIKE '%Filter' AND Industry != 'Banking' "
        "ORDER BY Name DESC LIMIT 5 OFFSET 1"
    )["records"]
    assert [r["Id"] for r in rows] == [b]  # Mid (null Industry) and Alpha match; offset skips Mid
    assert c
    stamp = sf_client.query(f"SELECT SystemModstamp FROM Account WHERE Id = '{a}'")["records"][0]
    assert stamp["SystemModstamp"] == "2031-05-06T07:08:09.000+0000"


def test_parent_relationship_field(sf_client: Salesforce) -> None:
    rows = sf_client.query("SELECT Id, Name, Account.Name FROM Contact WHERE AccountId != null LIMIT 3")[
        "records"
    ]
    assert rows and all(
        r["Account"]["attributes"]["type"] == "Account" and r["Account"]["Name"] for r in rows
    )


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELECT Id FROM Account WHERE", "MALFORMED_QUERY"),
        ("SELECT Id FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'", "MALFORMED_QUERY"),
        ("SELECT Nope__c FROM Account", "INVALID_FIELD"),
        ("SELECT Id FROM Account WHERE CreatedDate > '2020-01-01'", "INVALID_FIELD"),
        ("SELECT Id FROM Accountz", "INVALID_TYPE"),
    ],
)
def test_query_errors(sf_client: Salesforce, soql: str, code: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf_client.query(soql)
    assert _code(exc) == code
    if code == "INVALID_FIELD" and "Nope" in soql:
        assert "No such column 'Nope__c' on entity 'Account'" in exc.value.content[0]["message"]  # type: ignore[attr-defined]


# -- CRUD -------------------------------------------------------------------------------------
def test_crud_status_codes_and_ids(sf_sandbox_fresh: SalesforceSandbox, sf_client: Salesforce) -> None:
    created = sf_client.Account.create({"Name": "Crud GmbH", "BillingCountry": "Germany"})
    rid = created["id"]
    assert created["success"] is True and rid.startswith("001") and len(rid) == 18
    assert rid[15:] == checksum_suffix(rid[:15])
    got = sf_client.Account.get(rid[:15])  # a 15-char id works too
    assert (
        got["Name"] == "Crud GmbH"
        and got["IsDeleted"] is False
        and got["BillingAddress"]["country"] == "Germany"
    )
    before = got["SystemModstamp"]
    assert sf_client.Account.update(rid, {"Name": "Crud AG"}) == 204
    after = sf_client.Account.get(rid)
    assert after["Name"] == "Crud AG" and after["SystemModstamp"] > before
    assert sf_client.Account.delete(rid) == 204
    with pytest.raises(SalesforceResourceNotFound) as exc:
        sf_client.Account.get("001000000000000AAA")
    assert _code(exc) == "NOT_FOUND"


@pytest.mark.parametrize(
    ("body", "code", "fields"),
    [
        ({"Industry": "Banking"}, "REQUIRED_FIELD_MISSING", ["Name"]),
        ({"Name": "x" * 256}, "STRING_TOO_LONG", ["Name"]),
        ({"Name": "P", "CleanStatus": "Shiny"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", ["CleanStatus"]),
        ({"Name": "P", "IsDeleted": True}, "INVALID_FIELD_FOR_INSERT_UPDATE", ["IsDeleted"]),
        ({"Name": "P", "ParentId": "not-an-id"}, "MALFORMED_ID", ["ParentId"]),
        ({"Name": "P", "ParentId": "0015g0000ZZZZZZ"}, "INVALID_CROSS_REFERENCE_KEY", ["ParentId"]),
        ({"Name": "P", "Bogus__c": 1}, "INVALID_FIELD", None),
    ],
)
def test_account_write_validation(
    sf_client: Salesforce, body: dict, code: str, fields: list[str] | None
) -> None:
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf_client.Account.create(body)
    assert _code(exc) == code
    if fields is not None:
        assert exc.value.content[0]["fields"] == fields  # type: ignore[attr-defined]


def test_contact_email_validation_and_duplicate_external_id(
    sf_sandbox_fresh: SalesforceSandbox, sf_client: Salesforce
) -> None:
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf_client.Contact.create({"LastName": "Nowak", "Email": "not-an-email"})
    assert _code(exc) == "INVALID_EMAIL_ADDRESS"
    sf_client.Contact.create({"LastName": "Nowak", "External_Id__c": "C-1"})
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf_client.Contact.create({"LastName": "Other", "External_Id__c": "C-1"})
    assert _code(exc) == "DUPLICATE_VALUE"


def test_upsert_201_200_300_404(sf_sandbox_fresh: SalesforceSandbox, sf_client: Salesforce) -> None:
    assert sf_client.Account.upsert("External_Id__c/E-1", {"Name": "Ups"}) == 201
    assert sf_client.Account.upsert("External_Id__c/E-1", {"Name": "Ups 2"}) == 200
    rows = sf_client.query("SELECT Name FROM Account WHERE External_Id__c = 'E-1'")["records"]
    assert [r["Name"] for r in rows] == ["Ups 2"]
    sf_client.Account.create({"Name": "L1", "Legacy_Id__c": "dup"})
    sf_client.Account.create({"Name": "L2", "Legacy_Id__c": "dup"})
    with pytest.raises(SalesforceMoreThanOneRecord) as exc:
        sf_client.Account.upsert("Legacy_Id__c/dup", {"Name": "L3"})
    assert len(exc.value.content) == 2  # type: ignore[attr-defined]
    with pytest.raises(SalesforceResourceNotFound) as nf:
        sf_client.Account.upsert("Name/x", {"Phone": "1"})
    assert _code(nf) == "NOT_FOUND"
    raw = sf_client.session.patch(
        f"{sf_client.base_url}sobjects/Account/External_Id__c/E-2",
        json={"Name": "Raw"},
        headers=sf_client.headers,
    )
    assert raw.status_code == 201 and raw.json()["created"] is True


# -- composite --------------------------------------------------------------------------------
def _recs(n: int, **extra: object) -> list[dict[str, object]]:
    return [{"attributes": {"type": "Account"}, "Name": f"Comp {i}", **extra} for i in range(n)]


def test_composite_create_update_delete_partial(
    sf_sandbox_fresh: SalesforceSandbox, sf_client: Salesforce
) -> None:
    recs = _recs(3)
    recs[1]["Name"] = None  # required field missing
    res = sf_client.restful("composite/sobjects", method="POST", json={"allOrNone": False, "records": recs})
    assert [r["success"] for r in res] == [True, False, True]
    assert res[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    ids = [res[0]["id"], res[2]["id"]]
    upd = [
        {"attributes": {"type": "Account"}, "id": ids[0], "Phone": "1"},
        {"attributes": {"type": "Account"}, "id": ids[1], "Name": "y" * 300},
    ]
    res = sf_client.restful("composite/sobjects", method="PATCH", json={"allOrNone": False, "records": upd})
    assert [r["success"] for r in res] == [True, False] and res[1]["errors"][0][
        "statusCode"
    ] == "STRING_TOO_LONG"
    res = sf_client.restful(
        "composite/sobjects", method="DELETE", params={"ids": ",".join(ids), "allOrNone": "false"}
    )
    assert [r["success"] for r in res] == [True, True]
    got = sf_client.restful("composite/sobjects/Account", params={"ids": ids[0], "fields": "Id,Name"})
    assert got == [None]


def test_composite_all_or_none_rolls_back(sf_sandbox_fresh: SalesforceSandbox, sf_client: Salesforce) -> None:
    before = sf_client.query("SELECT COUNT() FROM Account")["totalSize"]
    recs = _recs(3)
    recs[2]["CleanStatus"] = "Nope"
    res = sf_client.restful("composite/sobjects", method="POST", json={"allOrNone": True, "records": recs})
    codes = [r["errors"][0]["statusCode"] for r in res]
    assert codes == ["ALL_OR_NONE_OPERATION_ROLLED_BACK"] * 2 + ["INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"]
    assert sf_client.query("SELECT COUNT() FROM Account")["totalSize"] == before


def test_composite_upsert_reports_created(sf_sandbox_fresh: SalesforceSandbox, sf_client: Salesforce) -> None:
    recs = [{"attributes": {"type": "Account"}, "External_Id__c": "U-1", "Name": "U1"}]
    res = sf_client.restful(
        "composite/sobjects/Account/External_Id__c",
        method="PATCH",
        json={"allOrNone": False, "records": recs},
    )
    assert res[0]["success"] and res[0]["created"] is True
    res = sf_client.restful(
        "composite/sobjects/Account/External_Id__c",
        method="PATCH",
        json={"allOrNone": False, "records": recs},
    )
    assert res[0]["success"] and res[0]["created"] is False


def test_composite_over_200_records_rejected(sf_client: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf_client.restful(
            "composite/sobjects", method="POST", json={"allOrNone": False, "records": _recs(201)}
        )
    assert _code(exc) == "EXCEEDED_ID_LIMIT"


# -- replication ------------------------------------------------------------------------------
def test_get_updated_and_deleted(sf_sandbox_fresh: SalesforceSandbox, sf_client: Salesforce) -> None:
    start = datetime.now(UTC) - timedelta(minutes=2)
    acc = sf_client.Account.create({"Name": "Repl"})["id"]
    gone = sf_client.Account.create({"Name": "Gone"})["id"]
    sf_client.Account.delete(gone)
    end = datetime.now(UTC) + timedelta(minutes=2)
    updated = sf_client.Account.updated(start, end)
    assert acc in updated["ids"] and gone not in updated["ids"]
    deleted = sf_client.Account.deleted(start, end)
    assert [d["id"] for d in deleted["deletedRecords"]] == [gone]


# -- limits, faults, stats --------------------------------------------------------------------
def test_limit_header_parsed(sf_client: Salesforce) -> None:
    sf_client.query("SELECT Id FROM Account LIMIT 1")
    first = sf_client.api_usage["api-usage"].used
    sf_client.query("SELECT Id FROM Account LIMIT 1")
    assert sf_client.api_usage["api-usage"].used == first + 1
    assert sf_client.api_usage["api-usage"].total == 15000


def test_faults(sf_sandbox: SalesforceSandbox, sf_client: Salesforce) -> None:
    soql = "SELECT Id FROM Account LIMIT 1"
    sf_sandbox.add_fault("rate_limit", retry_after=3)
    with pytest.raises(SalesforceGeneralError) as ge:
        sf_client.query(soql)
    assert ge.value.status == 429
    sf_sandbox.add_fault("server_error")  # a proxy's page, not Salesforce's JSON
    with pytest.raises(SalesforceGeneralError) as ge:
        sf_client.query(soql)
    assert ge.value.status == 503 and "503 Service Unavailable" in str(ge.value.content)
    sf_sandbox.add_fault("api_error", status=503)  # Salesforce's own 503
    with pytest.raises(SalesforceGeneralError) as ge:
        sf_client.query(soql)
    assert ge.value.status == 503 and _code(ge) == "SERVER_UNAVAILABLE"
    sf_sandbox.add_fault("request_limit")
    with pytest.raises(SalesforceRefusedRequest) as rr:
        sf_client.query(soql)
    assert _code(rr) == "REQUEST_LIMIT_EXCEEDED"
    sf_sandbox.add_fault("server_error", path="/sobjects/")
    assert sf_client.query(soql)["totalSize"] == 1  # path did not match: no fault
    sf_sandbox.clear_faults()
    sf_sandbox.add_fault("slow", seconds=0.5)
    with pytest.raises(requests.exceptions.Timeout):
        sf_client.session.get(f"{sf_client.base_url}limits", headers=sf_client.headers, timeout=0.2)
    sf_sandbox.add_fault(
        "record_error",
        field="Name",
        value="Poison",
        code="FIELD_CUSTOM_VALIDATION_EXCEPTION",
        message="No poison",
    )
    res = sf_client.restful(
        "composite/sobjects",
        method="POST",
        json={
            "allOrNone": False,
            "records": [
                {"attributes": {"type": "Account"}, "Name": "Poison"},
                {"attributes": {"type": "Account"}, "Name": "Fine"},
            ],
        },
    )
    assert [r["success"] for r in res] == [False, True]
    assert res[0]["errors"][0] == {
        "statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "message": "No poison",
        "fields": ["Name"],
    }
    sf_sandbox.clear_faults()
    sf_sandbox.add_fault("expire_sessions")
    with pytest.raises(SalesforceExpiredSession):
        sf_client.query(soql)


def test_admin_api_and_stats(sf_sandbox: SalesforceSandbox, sf_client: Salesforce) -> None:
    s = VerifyingSession(sf_sandbox.ca_file)
    assert s.post(f"{sf_sandbox.url}/_sandbox/stats/reset").status_code == 200
    sf_client.query("SELECT Id FROM Account LIMIT 1")
    stats = s.get(f"{sf_sandbox.url}/_sandbox/stats").json()
    assert stats["requests"] == 1 and stats["by_route"] == {"GET /services/data/vXX.X/query": 1}
    s.post(f"{sf_sandbox.url}/_sandbox/faults", json={"kind": "api_error", "times": 1, "status": 500})
    with pytest.raises(SalesforceGeneralError) as ge:
        sf_client.query("SELECT Id FROM Account LIMIT 1")
    assert ge.value.status == 500 and ge.value.content[0]["errorCode"] == "UNKNOWN_EXCEPTION"
    assert s.delete(f"{sf_sandbox.url}/_sandbox/faults").status_code == 200


# -- describe ---------------------------------------------------------------------------------
def test_describe_matches_reference(sf_client: Salesforce) -> None:
    ref = json.loads((DESCRIBE_DIR / "Contact.json").read_text(encoding="utf-8"))
    got = sf_client.Contact.describe()
    assert got["keyPrefix"] == "003" and got["name"] == "Contact"
    ref_fields = {f["name"]: f for f in ref["fields"]}
    got_fields = {f["name"]: f for f in got["fields"]}
    assert set(got_fields) - set(ref_fields) == {"External_Id__c", "Legacy_Id__c", "HasOptedOutOfEmail"}
    for name, f in ref_fields.items():
        for key in (
            "type",
            "length",
            "nillable",
            "createable",
            "updateable",
            "referenceTo",
            "picklistValues",
        ):
            assert got_fields[name][key] == f[key], (name, key)
    names = {o["name"] for o in sf_client.describe()["sobjects"]}
    assert {"Account", "Contact", "Lead", "Case", "Opportunity"} <= names


def test_connection_value_resolves(sf_conn_env: str, sf_sandbox: SalesforceSandbox) -> None:
    conn = resolve_connection("salesforce_default")
    assert conn.conn_type == "salesforce" and conn.login == sf_sandbox.user.username
    assert conn.extra["instance_url"] == sf_sandbox.url and conn.extra["ca_file"] == str(sf_sandbox.ca_file)


def test_api_error_500_is_unknown_exception(sf_sandbox: SalesforceSandbox, sf_client: Salesforce) -> None:
    """A real 500 says UNKNOWN_EXCEPTION with an ErrorId; 503 stays SERVER_UNAVAILABLE; overrides win."""
    soql = "SELECT Id FROM Account LIMIT 1"
    sf_sandbox.add_fault("api_error", status=500)
    with pytest.raises(SalesforceGeneralError) as ge:
        sf_client.query(soql)
    item = ge.value.content[0]  # type: ignore[attr-defined]
    assert ge.value.status == 500 and item["errorCode"] == "UNKNOWN_EXCEPTION"
    assert item["message"].startswith(
        "An unexpected error occurred. Please include this ErrorId if you contact support: "
    )
    sf_sandbox.add_fault(
        "api_error", status=500, code="QUERY_TIMEOUT", message="Your query took too long"
    )
    with pytest.raises(SalesforceGeneralError) as ge:
        sf_client.query(soql)
    assert ge.value.content == [{"message": "Your query took too long", "errorCode": "QUERY_TIMEOUT"}]  # type: ignore[attr-defined]


# -- User ---------------------------------------------------------------------------------------
def test_user_object_backs_owner_and_audit_relationships(
    sf_sandbox_fresh: SalesforceSandbox, sf_client: Salesforce
) -> None:
    rec = sf_client.query(
        "SELECT Id, OwnerId, Owner.Name, CreatedBy.Name, LastModifiedBy.Username FROM Account LIMIT 1"
    )["records"][0]
    assert rec["Owner"]["Name"] == rec["CreatedBy"]["Name"] == "Sandbox Analyst"
    assert rec["Owner"]["attributes"]["type"] == "User"
    assert rec["LastModifiedBy"]["Username"] == sf_sandbox_fresh.user.username
    users = sf_client.query("SELECT Id, Name, Username, Email, IsActive, FirstName, LastName FROM User")[
        "records"
    ]
    analyst = [(u["Id"], u["IsActive"], u["LastName"]) for u in users if u["Id"] == rec["OwnerId"]]
    assert analyst == [(rec["OwnerId"], True, "Analyst")]
    others = {u["Email"] for u in users if u["Id"] != rec["OwnerId"]}  # the demo sales and support team
    assert others == {person_email(first, last) for first, last, *_ in PEOPLE}
    assert rec["OwnerId"].startswith("005")
    con = sf_client.Contact.create({"LastName": "Owned"})["id"]
    assert sf_client.query(f"SELECT Owner.Email FROM Contact WHERE Id = '{con}'")["records"][0]["Owner"] == {
        "attributes": {"type": "User", "url": f"/services/data/v59.0/sobjects/User/{rec['OwnerId']}"},
        "Email": sf_sandbox_fresh.user.username,
    }
    described = sf_client.User.describe()
    assert described["keyPrefix"] == "005" and described["deletable"] is False
    fields = {f["name"]: f for f in described["fields"]}
    assert {"Id", "Name", "Username", "Email", "IsActive", "FirstName", "LastName"} <= set(fields)
    assert fields["Email"]["type"] == "email" and fields["IsActive"]["type"] == "boolean"
    # a user id that does not exist is not a valid owner; a user cannot be deleted
    missing = "005" + "5g0000000ZZZ" + checksum_suffix("0055g0000000ZZZ")
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf_client.Account.create({"Name": "Orphan", "OwnerId": missing})
    assert _code(exc) == "INVALID_CROSS_REFERENCE_KEY"
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf_client.User.delete(rec["OwnerId"])
    assert _code(exc) == "INVALID_TYPE_FOR_OPERATION"
    sf_sandbox_fresh.reset()  # the demo user is reference data: it survives a reset
    assert sf_client.query("SELECT COUNT() FROM User")["totalSize"] == 1
    sf_sandbox_fresh.seed(accounts=50)  # leave the shared sandbox with data for later tests


# -- connection hygiene and request limits ------------------------------------------------------
def test_failed_handshakes_and_disconnects_are_quiet(
    sf_sandbox: SalesforceSandbox, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    host, port = sf_sandbox.host, sf_sandbox.port
    with pytest.raises(requests.exceptions.SSLError):  # the client does not trust the sandbox CA
        requests.get(f"{sf_sandbox.url}/services/data/", verify=True, timeout=5)
    socket.create_connection((host, port)).close()  # connect, say nothing, leave
    ctx = ssl.create_default_context(cafile=str(sf_sandbox.ca_file))
    with ctx.wrap_socket(socket.create_connection((host, port)), server_hostname=host) as tls:
        tls.sendall(b"GET /services/data/ HTTP/1.1\r\nHost: x\r\n")  # leave mid-request
    with socket.create_connection((host, port)) as raw:
        raw.sendall(b"not TLS at all\r\n\r\n")
    time.sleep(0.5)  # let the server threads finish with those connections
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception occurred" not in err, err
    loud = [r.getMessage() for r in caplog.records if r.levelno > logging.DEBUG or r.exc_info]
    assert loud == []
    assert VerifyingSession(sf_sandbox.ca_file).get(f"{sf_sandbox.url}/services/data/").status_code == 200


def test_request_head_over_16k_is_refused(sf_sandbox: SalesforceSandbox, sf_client: Salesforce) -> None:
    """Salesforce caps request line + headers at 16,384 bytes: 414 for a long URI, else 431."""
    names = ", ".join(f"'n{i:05d}'" for i in range(700))
    fits = f"SELECT Id FROM Account WHERE Name IN ({names})"
    assert sf_client.query(fits)["totalSize"] == 0  # ~11 KB encoded: still answered
    too_long = f"SELECT Id FROM Account WHERE Name IN ({names}, {names})"
    with pytest.raises(SalesforceGeneralError) as ge:
        sf_client.query(too_long)
    assert ge.value.status == 414 and "URI Too Long" in str(ge.value.content)
    headers = {**sf_client.headers, "X-Padding": "p" * 9000}
    url = f"{sf_client.base_url}query/"
    r = sf_client.session.get(url, headers=headers, params={"q": fits})
    assert r.status_code == 431 and "Request Header Fields Too Large" in r.text
    assert sf_client.query("SELECT Id FROM Account LIMIT 1")["totalSize"] == 1


# -- relative date literals and updateOnly ------------------------------------------------------
def test_relative_date_literals(sf_sandbox_fresh: SalesforceSandbox, sf_client: Salesforce) -> None:
    total = sf_client.query("SELECT COUNT() FROM Account")["totalSize"]
    assert (
        sf_client.query("SELECT COUNT() FROM Account WHERE CreatedDate = LAST_N_DAYS:30")["totalSize"]
        == total
    )
    assert sf_client.query("SELECT COUNT() FROM Account WHERE CreatedDate = YESTERDAY")["totalSize"] == 0
    new = sf_client.Account.create({"Name": "Made today"})["id"]
    today = sf_client.query("SELECT Id FROM Account WHERE CreatedDate = TODAY")["records"]
    assert [r["Id"] for r in today] == [new]
    old = sf_client.query(f"SELECT Id FROM Account WHERE Id != '{new}' LIMIT 1")["records"][0]["Id"]
    sf_sandbox_fresh.touch("Account", [old], datetime.now(UTC) - timedelta(days=3))

    def ids(where: str) -> set[str]:
        return {r["Id"] for r in sf_client.query_all(f"SELECT Id FROM Account WHERE {where}")["records"]}

    assert old not in ids("LastModifiedDate = LAST_N_DAYS:2") and old in ids(
        "LastModifiedDate = last_n_days:3"
    )
    assert old in ids("LastModifiedDate < LAST_N_DAYS:2") and new not in ids("LastModifiedDate < TODAY")
    assert new in ids("LastModifiedDate >= TODAY") and new not in ids("LastModifiedDate > TODAY")
    con = sf_client.Contact.create({"LastName": "Born", "Birthdate": datetime.now(UTC).date().isoformat()})[
        "id"
    ]
    assert [
        r["Id"] for r in sf_client.query("SELECT Id FROM Contact WHERE Birthdate = TODAY")["records"]
    ] == [con]
    with pytest.raises(SalesforceMalformedRequest) as exc:
        sf_client.query("SELECT Id FROM Account WHERE Name = TODAY")
    assert _code(exc) == "INVALID_FIELD"


def test_upsert_update_only(sf_sandbox_fresh: SalesforceSandbox, sf_client: Salesforce) -> None:
    path = "sobjects/Account/External_Id__c/{}"
    with pytest.raises(SalesforceResourceNotFound):
        sf_client.restful(
            path.format("UO-1"), params={"updateOnly": "true"}, method="PATCH", json={"Name": "No"}
        )
    assert sf_client.query("SELECT COUNT() FROM Account WHERE External_Id__c = 'UO-1'")["totalSize"] == 0
    made = sf_client.Account.upsert("External_Id__c/UO-1", {"Name": "Made"})
    assert made == 201
    res = sf_client.restful(
        path.format("UO-1"), params={"updateOnly": "true"}, method="PATCH", json={"Name": "Kept"}
    )
    assert res["created"] is False
    assert (
        sf_client.query("SELECT Name FROM Account WHERE External_Id__c = 'UO-1'")["records"][0]["Name"]
        == "Kept"
    )
