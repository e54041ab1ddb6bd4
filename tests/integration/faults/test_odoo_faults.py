"""Odoo connector under faults from the sandbox kit, through OdooRPC over real HTTP.

A 5xx from whatever stands in front of Odoo is transient for reads and logins and
of unknown outcome for creates (never resent); an answer that is not JSON-RPC or
not of the promised shape is a RemoteProtocolError naming the call; an answer
dripping in byte by byte is cut off by the call's overall deadline.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from connectors.odoo.connector import OdooConnector
from connectors.odoo.sandbox import OdooSandbox
from officebridge.connections import parse_connection
from officebridge.connector import OpKind, ReadRequest, WriteOp, WriteStatus
from officebridge.errors import RemoteProtocolError, RetriableError
from officebridge.retry import RetryPolicy

FAST = RetryPolicy(attempts=4, base=0.01, cap=0.05)
SEARCH = r"^res\.partner\.search_read$"
CREATE = r"^res\.partner\.create$"


def connector(sb: OdooSandbox, timeout: float = 5.0) -> OdooConnector:
    data = json.loads(sb.connection_value())
    data["extra"] = {**data["extra"], "timeout": timeout}
    return OdooConnector(parse_connection("odoo_faults", json.dumps(data)), retry_policy=FAST)


def read_all(conn: OdooConnector) -> list[Any]:
    request = ReadRequest("res.partner", ["name", "ref"], filter=[["is_company", "=", True]], batch_size=500)
    return [r for page in conn.read(request) for r in page.records]


def creates(tag: str, n: int = 2) -> list[WriteOp]:
    return [WriteOp(OpKind.CREATE, f"s{i}", {"name": f"{tag}-{i}", "ref": f"{tag}-{i}"}) for i in range(n)]


def landed(sb: OdooSandbox, tag: str) -> int:
    conn = connector(sb)
    return len(
        conn.call("res.partner", "search", [[["name", "like", tag]]], {"context": {"active_test": False}})
    )


def requests_of(sb: OdooSandbox, operation: str) -> int:
    return int(sb.stats()["by_operation"].get(operation, 0))


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_5xx_at_login_is_retried(odoo_fresh: OdooSandbox, status: int) -> None:
    odoo_fresh.add_fault("server_error", status=status, operation=r"^common\.login$")
    conn = connector(odoo_fresh)
    conn.check()
    assert requests_of(odoo_fresh, "common.login") == 2


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_5xx_on_a_read_is_retried_and_the_read_is_complete(odoo_fresh: OdooSandbox, status: int) -> None:
    expected = len(read_all(connector(odoo_fresh)))
    odoo_fresh.reset_stats()
    odoo_fresh.add_fault("server_error", status=status, operation=SEARCH)
    assert len(read_all(connector(odoo_fresh))) == expected > 0
    assert odoo_fresh.stats()["faults"] == {"server_error": 1}


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_5xx_on_a_create_is_unknown_and_never_resent(odoo_fresh: OdooSandbox, status: int) -> None:
    tag = f"five-{uuid.uuid4().hex[:8]}"
    conn = connector(odoo_fresh)
    conn.describe("res.partner")
    odoo_fresh.add_fault("server_error", status=status, operation=CREATE)
    results = conn.write("res.partner", creates(tag))
    assert [r.status for r in results] == [WriteStatus.UNKNOWN] * 2
    assert "res.partner.create" in str(results[0].message)
    assert requests_of(odoo_fresh, "res.partner.create") == 1  # sent once, not resent
    assert landed(odoo_fresh, tag) == 0  # the proxy page came before Odoo applied it


def test_a_create_answered_with_fewer_ids_is_unknown_not_a_raw_valueerror(odoo_fresh: OdooSandbox) -> None:
    tag = f"short-{uuid.uuid4().hex[:8]}"
    conn = connector(odoo_fresh)
    conn.describe("res.partner")
    short = {"jsonrpc": "2.0", "id": 1, "result": [424242]}
    odoo_fresh.add_fault("raw", operation=CREATE, body=short, content_type="application/json", after=True)
    results = conn.write("res.partner", creates(tag, 3))
    assert [r.status for r in results] == [WriteStatus.UNKNOWN] * 3
    message = str(results[0].message)
    assert "res.partner.create" in message and "wrong shape" in message and "1 ids for 3" in message
    assert all(r.target_id is None for r in results)  # no id made up for records we cannot name
    assert landed(odoo_fresh, tag) == 3  # it did land: the next run's lookup adopts them


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ({"jsonrpc": "2.0", "id": 1, "result": {"id": 1}}, "application/json", "wrong shape"),
        ({"jsonrpc": "2.0", "id": 1, "result": [{"name": "no id"}]}, "application/json", "wrong shape"),
        ("<html><body><h1>Odoo is under maintenance</h1></body></html>", "text/html", "not JSON-RPC"),
    ],
)
def test_a_read_of_the_wrong_shape_is_a_protocol_error_naming_the_call(
    odoo_fresh: OdooSandbox, body: Any, content_type: str, expected: str
) -> None:
    conn = connector(odoo_fresh)
    conn.describe("res.partner")
    odoo_fresh.add_fault("raw", operation=SEARCH, body=body, content_type=content_type)
    with pytest.raises(RemoteProtocolError) as info:
        read_all(conn)
    assert "res.partner.search_read" in str(info.value) and expected in str(info.value)
    assert "odoo_faults" in str(info.value)


@pytest.mark.parametrize("status", [302, 307])
def test_a_redirect_is_a_protocol_error(odoo_fresh: OdooSandbox, status: int) -> None:
    conn = connector(odoo_fresh)
    conn.describe("res.partner")
    odoo_fresh.add_fault("raw", status=status, operation=SEARCH, body="", headers={"Location": "/web/login"})
    with pytest.raises(RemoteProtocolError) as info:
        read_all(conn)
    assert "res.partner.search_read" in str(info.value)


def test_a_dripping_answer_is_cut_by_the_deadline_then_retried(odoo_fresh: OdooSandbox) -> None:
    conn = connector(odoo_fresh, timeout=1.0)
    conn.describe("res.partner")
    expected = len(read_all(conn))
    odoo_fresh.add_fault("drip", interval=0.2, operation=SEARCH)  # each byte well within the read timeout
    started = time.monotonic()
    assert len(read_all(conn)) == expected
    assert time.monotonic() - started < 4.0


def test_an_answer_that_always_drips_ends_in_a_clear_error_in_bounded_time(odoo_fresh: OdooSandbox) -> None:
    conn = connector(odoo_fresh, timeout=1.0)
    conn.describe("res.partner")
    odoo_fresh.add_fault("drip", times=None, interval=0.2, operation=SEARCH)
    started = time.monotonic()
    with pytest.raises(RetriableError, match="deadline") as info:
        read_all(conn)
    assert "res.partner.search_read" in str(info.value)
    assert time.monotonic() - started < FAST.attempts * 1.0 + 3.0


def test_a_create_whose_answer_drips_is_unknown(odoo_fresh: OdooSandbox) -> None:
    tag = f"drip-{uuid.uuid4().hex[:8]}"
    conn = connector(odoo_fresh, timeout=1.0)
    conn.describe("res.partner")
    odoo_fresh.add_fault("drip", interval=0.2, operation=CREATE)
    results = conn.write("res.partner", creates(tag))
    assert [r.status for r in results] == [WriteStatus.UNKNOWN] * 2
    assert "deadline" in str(results[0].message)
    assert requests_of(odoo_fresh, "res.partner.create") == 1
    assert landed(odoo_fresh, tag) == 2
