"""Salesforce connector under faults from the sandbox kit, through simple-salesforce over HTTPS.

A login answered by something other than Salesforce's SOAP endpoint (an HTML page,
a REST-style 403) is not a refusal of the credentials: it is retried. A
`nextRecordsUrl` that comes back is a paging loop, and an answer dripping in
byte by byte is cut off by the call's overall deadline.
"""

from __future__ import annotations

import json
import time

import pytest

from connectors.salesforce.connector import SalesforceConnector
from connectors.salesforce.sandbox import SalesforceSandbox
from officebridge.connections import parse_connection
from officebridge.connector import ReadRequest
from officebridge.errors import AuthenticationError, RemoteProtocolError, RetriableError
from officebridge.retry import RetryPolicy

FAST = RetryPolicy(attempts=4, base=0.01, cap=0.05)
LOGIN = r"^POST login$"
HTML = "<html><head><title>Maintenance</title></head><body><h1>Back soon<hr></body></html>"
REST_403 = [{"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": "TotalRequests Limit exceeded."}]


def connector(sb: SalesforceSandbox, timeout: float = 5.0) -> SalesforceConnector:
    data = json.loads(sb.connection_value())
    data["extra"] = {**data["extra"], "timeout": timeout}
    return SalesforceConnector(parse_connection("sf_faults", json.dumps(data)), retry_policy=FAST)


def accounts(conn: SalesforceConnector) -> int:
    return sum(len(p.records) for p in conn.read(ReadRequest("Account", ["Name"], batch_size=200)))


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (200, HTML, "text/html"),
        (503, HTML, "text/html"),
        (403, REST_403, "application/json"),
        (403, HTML, "text/html"),
    ],
)
def test_a_login_not_answered_by_salesforce_is_retried(
    sf_sandbox_fresh: SalesforceSandbox, status: int, body: object, content_type: str
) -> None:
    sf_sandbox_fresh.add_fault("raw", operation=LOGIN, status=status, body=body, content_type=content_type)
    conn = connector(sf_sandbox_fresh)
    conn.check()
    assert conn.logins == 1
    assert sf_sandbox_fresh.stats()["faults"] == {"raw": 1}


def test_a_login_always_answered_by_a_proxy_is_not_reported_as_refused(
    sf_sandbox_fresh: SalesforceSandbox,
) -> None:
    sf_sandbox_fresh.add_fault("raw", times=None, operation=LOGIN, status=403, body=HTML)
    with pytest.raises(RetriableError) as info:
        connector(sf_sandbox_fresh).check()
    assert not isinstance(info.value, AuthenticationError)
    assert "sf_faults" in str(info.value) and "not a refusal" in str(info.value)


def test_a_real_refusal_is_still_an_authentication_error(sf_sandbox_fresh: SalesforceSandbox) -> None:
    data = json.loads(sf_sandbox_fresh.connection_value())
    data["password"] = "wrong-password"
    conn = SalesforceConnector(parse_connection("sf_faults", json.dumps(data)), retry_policy=FAST)
    with pytest.raises(AuthenticationError, match="sf_faults"):
        conn.check()


def test_a_next_records_url_that_comes_back_is_a_paging_loop(sf_sandbox_fresh: SalesforceSandbox) -> None:
    loop = "/services/data/v59.0/query/01gLOOP000000000-200"
    page = {"totalSize": 5000, "done": False, "nextRecordsUrl": loop, "records": []}
    sf_sandbox_fresh.add_fault("raw", path=r"/query/?$", body=page, content_type="application/json")
    sf_sandbox_fresh.add_fault("raw", times=None, path="01gLOOP", body=page, content_type="application/json")
    started = time.monotonic()
    with pytest.raises(RemoteProtocolError, match="paging loop") as info:
        accounts(connector(sf_sandbox_fresh))
    assert "query Account" in str(info.value)
    assert time.monotonic() - started < 5
    assert sf_sandbox_fresh.stats()["faults"]["raw"] == 2  # the first page and the looping one: never again


def test_more_records_than_announced_is_a_protocol_error(sf_sandbox_fresh: SalesforceSandbox) -> None:
    record = {"attributes": {"type": "Account"}, "Id": "001000000000001AAA", "Name": "x"}
    record["SystemModstamp"] = "2026-01-01T00:00:00.000+0000"
    nxt = "/services/data/v59.0/query/01gMORE000000000-"
    first = {"totalSize": 1, "done": False, "nextRecordsUrl": nxt + "1", "records": [record]}
    sf_sandbox_fresh.add_fault("raw", path=r"/query/?$", body=first, content_type="application/json")
    for n in range(1, 4):
        more = {**first, "nextRecordsUrl": nxt + str(n + 1)}
        sf_sandbox_fresh.add_fault("raw", path=f"-{n}$", body=more, content_type="application/json")
    with pytest.raises(RemoteProtocolError, match="more than the 1 announced"):
        accounts(connector(sf_sandbox_fresh))


def test_a_dripping_answer_is_cut_by_the_deadline_then_retried(sf_sandbox_fresh: SalesforceSandbox) -> None:
    conn = connector(sf_sandbox_fresh, timeout=1.0)
    expected = accounts(conn)
    sf_sandbox_fresh.add_fault("drip", interval=0.2, operation="GET query")
    started = time.monotonic()
    assert accounts(conn) == expected > 0
    assert time.monotonic() - started < 5.0
    assert sf_sandbox_fresh.stats()["faults"] == {"drip": 1}


def test_an_answer_that_always_drips_ends_in_a_clear_error_in_bounded_time(
    sf_sandbox_fresh: SalesforceSandbox,
) -> None:
    conn = connector(sf_sandbox_fresh, timeout=1.0)
    conn.check()
    sf_sandbox_fresh.add_fault("drip", times=None, interval=0.2, operation="GET query")
    started = time.monotonic()
    with pytest.raises(RetriableError, match="deadline") as info:
        accounts(conn)
    assert "query Account" in str(info.value) and "sf_faults" in str(info.value)
    assert time.monotonic() - started < FAST.attempts * 1.0 + 3.0
