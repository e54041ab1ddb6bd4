"""The Tryton connector through its real client (JSON-RPC over requests) against a real trytond."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from connectors.tryton.connector import TrytonConnector
from connectors.tryton.server import TrytonServer
from officebridge.connections import parse_connection
from officebridge.connector import FieldKind, OpKind, ReadRequest, WriteOp, WriteStatus
from officebridge.errors import AuthenticationError, ConfigError, UnreachableError
from officebridge.retry import RetryPolicy
from officebridge.sandboxkit.proxy import FaultProxy
from tests.fixtures.tryton import FAST_RETRIES, proxied


def tag() -> str:
    return uuid.uuid4().hex[:10]


def names(tryton: TrytonConnector, prefix: str, **kw: object) -> list[str]:
    request = ReadRequest("party.party", ("name",), filter=[["name", "like", f"{prefix}%"]], **kw)  # type: ignore[arg-type]
    return [r.fields["name"] for page in tryton.read(request) for r in page.records]


def test_check_logs_in(tryton: TrytonConnector) -> None:
    tryton.check()
    assert tryton.rpc.uid is not None and tryton.rpc.context.get("company")


def test_refused_login_names_no_secret(tryton_server: TrytonServer, caplog: pytest.LogCaptureFixture) -> None:
    secret = "Wrong-Pass-" + tag()
    connection = parse_connection("t", tryton_server.connection_value(password=secret))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthenticationError) as raised:
        TrytonConnector(connection, retry_policy=FAST_RETRIES).check()
    assert secret not in str(raised.value) and secret not in repr(connection)
    assert secret not in caplog.text


def test_unreachable_server_is_fatal() -> None:
    connection = parse_connection("t", "tryton://admin:pw@127.0.0.1:9/db?protocol=http&timeout=2")
    with pytest.raises(UnreachableError):
        TrytonConnector(connection, retry_policy=RetryPolicy(attempts=2, base=0.01)).check()


def test_describe_party_and_invoice(tryton: TrytonConnector) -> None:
    party = tryton.describe("party.party")
    assert party.fields["name"].kind is FieldKind.STRING
    assert party.fields["write_date"].kind is FieldKind.DATETIME
    assert party.fields["addresses"].reference_to == ("party.address",)
    invoice = tryton.describe("account.invoice")
    assert "posted" in invoice.fields["state"].choices
    assert invoice.fields["total_amount"].kind is FieldKind.DECIMAL
    with pytest.raises(ConfigError, match="does not exist"):
        tryton.describe("no.such.model")


def test_ties_across_page_boundaries(tryton: TrytonConnector) -> None:
    prefix = f"Tie {tag()} "
    created = tryton.write("party.party", [WriteOp(OpKind.CREATE, str(i), {"name": f"{prefix}{i:03}"})
                                           for i in range(25)])  # fmt: skip
    assert all(r.ok for r in created)
    request = ReadRequest("party.party", ("name",), filter=[["name", "like", f"{prefix}%"]], batch_size=7)
    pages = list(tryton.read(request))
    records = [r for page in pages for r in page.records]
    assert [len(p.records) for p in pages] == [7, 7, 7, 4]
    assert len({r.cursor for r in records}) == 1  # one transaction, one stamp for all 25
    assert sorted(r.id for r in records) == sorted(r.target_id for r in created)  # type: ignore[misc]
    assert [int(r.id) for r in records] == sorted(int(r.id) for r in records)


def test_since_until_and_write_date_null_after_create(tryton: TrytonConnector) -> None:
    party = tryton.write("party.party", [WriteOp(OpKind.CREATE, "p", {"name": f"Opp owner {tag()}"})])[0]
    desc = f"Lead {tag()}"
    lead = {"party": party.target_id, "description": desc}
    opp = tryton.write("sale.opportunity", [WriteOp(OpKind.CREATE, "o", lead)])[0]
    assert opp.ok, opp.message
    row = tryton.fetch(
        "sale.opportunity", ["description", "write_date", "create_date"], [str(opp.target_id)]
    )[0]
    assert row.fields["write_date"] is None  # Tryton leaves it NULL after a create
    stamp = row.cursor
    assert stamp is not None
    flt = [["description", "=", desc]]
    by_write = ReadRequest("sale.opportunity", ("description",), since=stamp, filter=flt)
    assert [r.id for p in tryton.read(by_write) for r in p.records] == [opp.target_id]
    later = ReadRequest(
        "sale.opportunity", ("description",), since=stamp + timedelta(microseconds=1), filter=flt
    )
    assert list(tryton.read(later)) == []
    until = ReadRequest("sale.opportunity", ("description",), since=stamp - timedelta(seconds=1), until=stamp,
                        filter=flt, cursor="create_date")  # fmt: skip
    assert list(tryton.read(until)) == []
    tryton.write("sale.opportunity", [WriteOp(OpKind.UPDATE, "o", {"comment": "edited"}, opp.target_id)])
    edited = [r for p in tryton.read(later) for r in p.records]
    assert [r.id for r in edited] == [opp.target_id] and edited[0].cursor > stamp  # type: ignore[operator]


def test_filter_and_bad_filter(tryton: TrytonConnector) -> None:
    prefix = f"Flt {tag()} "
    tryton.write("party.party", [WriteOp(OpKind.CREATE, "a", {"name": prefix + "a"}),
                                 WriteOp(OpKind.CREATE, "b", {"name": prefix + "b"})])  # fmt: skip
    assert names(tryton, prefix) == [prefix + "a", prefix + "b"]
    with pytest.raises(ConfigError, match="rejected"):
        list(tryton.read(ReadRequest("party.party", ("name",), filter=[["nosuchfield", "=", 1]])))


def test_lookup_and_fetch(tryton: TrytonConnector) -> None:
    code = f"SF-{tag()}"
    made = tryton.write("party.party", [WriteOp(OpKind.CREATE, "a", {"name": "Lookup", "code": code})])[0]
    assert tryton.lookup("party.party", "code", [code, "absent"]) == {code: made.target_id}
    tryton.write("party.party", [WriteOp(OpKind.ARCHIVE, "a", target_id=made.target_id)])
    assert tryton.lookup("party.party", "code", [code]) == {code: made.target_id}  # deactivated: still found
    [again] = tryton.fetch("party.party", ["name", "active"], [str(made.target_id)])
    assert again.deleted and again.fields["active"] is False


def test_partial_failure_is_isolated(tryton: TrytonConnector) -> None:
    mark = tag()  # type "other": email and phone values are validated (offline, a domain never resolves)
    party = tryton.write("party.party", [WriteOp(OpKind.CREATE, "p", {"name": f"CM {mark}"})])[0].target_id
    ops = [WriteOp(OpKind.CREATE, str(i), {"party": party, "type": "other", "value": f"x{i}-{mark}"})
           for i in range(6)]  # fmt: skip
    ops[2] = WriteOp(OpKind.CREATE, "2", {"party": party, "type": "nosuchtype", "value": "bad"})
    ops[4] = WriteOp(OpKind.CREATE, "4", {"type": "other", "value": "no party"})
    results = tryton.write("party.contact_mechanism", ops)
    assert [r.status for r in results] == [WriteStatus.OK, WriteStatus.OK, WriteStatus.FAILED, WriteStatus.OK,
                                           WriteStatus.FAILED, WriteStatus.OK]  # fmt: skip
    assert results[2].error_code == "UserError" and "type" in results[2].fields
    assert "Party" in str(results[4].message)
    found = tryton.lookup("party.contact_mechanism", "value", [f"x{i}-{mark}" for i in range(6)])
    assert sorted(found) == [f"x{i}-{mark}" for i in (0, 1, 3, 5)]


def test_each_operation(tryton: TrytonConnector) -> None:
    code = f"UP-{tag()}"
    first = tryton.write(
        "party.party", [WriteOp(OpKind.UPSERT, "u", {"code": code, "name": "One"}, key_field="code")]
    )
    assert first[0].ok and first[0].created, first[0].message
    pid = str(first[0].target_id)
    second = tryton.write(
        "party.party", [WriteOp(OpKind.UPSERT, "u", {"code": code, "name": "Two"}, key_field="code")]
    )
    assert second[0].ok and not second[0].created and second[0].target_id == pid
    assert tryton.write("party.party", [WriteOp(OpKind.ARCHIVE, "u", target_id=pid)])[0].ok
    refused = tryton.write("party.party", [WriteOp(OpKind.UPDATE, "u", {"name": "Three"}, pid)])[0]
    assert refused.status is WriteStatus.FAILED and "not allowed" in str(
        refused.message
    )  # read-only while inactive
    back = tryton.write("party.party", [WriteOp(OpKind.UPDATE, "u", {"active": True, "name": "Four"}, pid)])[
        0
    ]
    assert back.ok, back.message
    assert tryton.fetch("party.party", ["name"], [pid])[0].fields["name"] == "Four"
    sale = tryton.write("sale.sale", [WriteOp(OpKind.CREATE, "s", {"party": pid})])[0]
    no_archive = tryton.write("sale.sale", [WriteOp(OpKind.ARCHIVE, "s", target_id=sale.target_id)])[0]
    assert no_archive.error_code == "UNSUPPORTED_OPERATION"
    assert tryton.write("sale.sale", [WriteOp(OpKind.DELETE, "s", target_id=sale.target_id)])[0].ok
    assert tryton.write("party.party", [WriteOp(OpKind.DELETE, "u", target_id=pid)])[0].ok
    assert tryton.fetch("party.party", ["name"], [pid]) == []  # a hard delete: no tombstone
    gone = tryton.write("party.party", [WriteOp(OpKind.UPDATE, "u", {"name": "x"}, pid)])[0]
    assert gone.status is WriteStatus.FAILED


def test_deactivated_records_seen_only_with_include_deleted(tryton: TrytonConnector) -> None:
    prefix = f"Arch {tag()} "
    made = tryton.write("party.party", [WriteOp(OpKind.CREATE, "a", {"name": prefix + "a"})])[0]
    tryton.write("party.party", [WriteOp(OpKind.ARCHIVE, "a", target_id=made.target_id)])
    assert names(tryton, prefix) == []
    request = ReadRequest(
        "party.party", ("name",), filter=[["name", "like", f"{prefix}%"]], include_deleted=True
    )
    [record] = [r for p in tryton.read(request) for r in p.records]
    assert record.deleted and record.id == made.target_id


def test_lost_answer_is_unknown_and_not_resent(tryton_server: TrytonServer, tryton_proxy: FaultProxy) -> None:
    connector = TrytonConnector(proxied(tryton_server, tryton_proxy), retry_policy=FAST_RETRIES)
    connector.check()
    name = f"Lost {tag()}"
    tryton_proxy.add_fault("drop", operation=r"^model\.party\.party\.create$", after=True)
    [result] = connector.write("party.party", [WriteOp(OpKind.CREATE, "l", {"name": name})])
    assert result.status is WriteStatus.UNKNOWN and result.error_code == "OUTCOME_UNKNOWN"
    stats = tryton_proxy.stats()
    assert stats["faults"] == {"drop": 1} and stats["by_operation"]["model.party.party.create"] == 1
    assert len(connector.lookup("party.party", "name", [name])) == 1  # it landed once: never resent
    connector.close()


def test_stamps_are_utc_with_microseconds(tryton: TrytonConnector) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    made = tryton.write("party.party", [WriteOp(OpKind.CREATE, "a", {"name": f"Utc {tag()}"})])[0]
    [record] = tryton.fetch("party.party", ["create_date"], [str(made.target_id)])
    assert record.cursor is not None and record.cursor.tzinfo is UTC and record.cursor > before


def test_updates_with_different_values_go_in_one_write(
    tryton_server: TrytonServer, tryton_proxy: FaultProxy
) -> None:
    connector = TrytonConnector(proxied(tryton_server, tryton_proxy), retry_policy=FAST_RETRIES)
    mark = tag()
    made = connector.write("party.party", [WriteOp(OpKind.CREATE, str(i), {"name": f"B{i} {mark}"})
                                           for i in range(8)])  # fmt: skip
    ids = [str(r.target_id) for r in made]
    tryton_proxy.reset_stats()
    ops = [WriteOp(OpKind.UPDATE, str(i), {"name": f"B{i} {mark} v2"}, t) for i, t in enumerate(ids)]
    assert all(r.ok for r in connector.write("party.party", ops))
    assert tryton_proxy.stats()["by_operation"]["model.party.party.write"] == 1
    assert sorted(r.fields["name"] for r in connector.fetch("party.party", ["name"], ids)) == sorted(
        str(op.values["name"]) for op in ops
    )
    tryton_proxy.reset_stats()
    ops[5] = WriteOp(OpKind.UPDATE, "5", {"name": "gone"}, "99999999")  # refused: the whole call rolls back
    ops = [WriteOp(op.kind, op.ref, {"name": f"{op.values['name']} v3"}, op.target_id) for op in ops]
    results = connector.write("party.party", ops)
    assert [r.ok for r in results] == [True] * 5 + [False] + [True] * 2
    assert results[5].target_id == "99999999" and results[5].error_code
    writes = tryton_proxy.stats()["by_operation"]["model.party.party.write"]
    assert writes <= 7, f"bisection took {writes} calls for 8 records"  # 1 + 2 + 2 + 2 at most
    names = [r.fields["name"] for r in connector.fetch("party.party", ["name"], ids)]
    assert sorted(names) == sorted(f"B{i} {mark} v2 v3" if i != 5 else f"B5 {mark} v2" for i in range(8))
    connector.close()
