"""The HubSpot connector through hubspot-api-client against the sandbox over HTTPS.

Every assertion is about what the sandbox now holds or what the client was
really told (stats count the requests that reached it), never about how the
client was called.
"""

from __future__ import annotations

import base64
import logging
import time
import urllib.parse
from datetime import UTC, datetime, timedelta

import pytest

from connectors.hubspot.sandbox import HubSpotSandbox, LimitConfig
from officebridge.connector import OpKind, ReadRequest, SourceRecord, WriteOp, WriteStatus
from officebridge.errors import AuthenticationError
from tests.integration.hubspot.conftest import connector_for

CONTACT_FIELDS = ("email", "firstname", "lastname", "hs_email_optout", "associatedcompanyid")


def read_all(hs, obj: str = "contacts", **kw) -> list[SourceRecord]:  # type: ignore[no-untyped-def]
    request = ReadRequest(object=obj, fields=kw.pop("fields", ("email",)), **kw)
    return [r for page in hs.read(request) for r in page.records]


def assert_ordered_once(records: list[SourceRecord]) -> None:
    keys = [(r.cursor, int(r.id)) for r in records]
    assert keys == sorted(keys)
    assert len({r.id for r in records}) == len(records)


def test_check_and_describe(hs, hs_fresh: HubSpotSandbox) -> None:
    hs.check()
    info = hs.describe("contacts")
    assert info.fields["email"].external_id and info.fields["email"].format == "email"
    assert info.fields["hs_email_optout"].readonly and info.fields["hs_email_optout"].kind.value == "boolean"
    assert (
        info.fields["lifecyclestage"].kind.value == "picklist"
        and "lead" in info.fields["lifecyclestage"].choices
    )
    assert info.fields["officebridge_id"].external_id
    assert hs.describe("deals").fields["amount"].kind.value == "decimal"
    with pytest.raises(Exception, match="no object type"):
        hs.describe("invoicez")
    assert hs_fresh.stats()["by_operation"]["contacts.properties"] == 1


def _leaks(token: str, text: str) -> bool:
    forms = [token, base64.b64encode(token.encode()).decode(), urllib.parse.quote(token), token[8:]]
    return any(f in text for f in forms)


def test_refused_token_is_never_shown(hs_fresh: HubSpotSandbox, caplog: pytest.LogCaptureFixture) -> None:
    bogus = "pat-na1-0badc0de-1111-2222-3333-444455556666"
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthenticationError) as info:
        connector_for(hs_fresh, token=bogus).check()
    assert "INVALID_AUTHENTICATION" in str(info.value)
    seen = str(info.value) + repr(info.value) + caplog.text + str(info.value.__context__ or "")
    assert not _leaks(bogus, seen) and not _leaks(hs_fresh.token, seen)


@pytest.mark.parametrize("how", ["python", "fault"])
def test_expired_or_revoked_token(hs, hs_fresh: HubSpotSandbox, how: str) -> None:
    hs.check()
    if how == "python":
        hs_fresh.expire_sessions()
    else:
        hs_fresh.add_fault("expire_sessions")
    with pytest.raises(AuthenticationError, match="expired or was revoked") as info:
        hs.check()
    assert not _leaks(hs_fresh.token, str(info.value))
    hs_fresh.restore_token()
    hs.check()


def test_read_everything_in_stamp_then_id_order(hs, hs_fresh: HubSpotSandbox) -> None:
    records = read_all(hs, fields=CONTACT_FIELDS, batch_size=37)
    assert len(records) == hs_fresh.count("contacts")
    assert_ordered_once(records)
    stamps = [r.cursor for r in records]
    assert len(set(stamps)) < len(stamps)  # the demo data has ties
    optouts = [r for r in records if r.fields["hs_email_optout"] is True]
    assert optouts and all(str(r.fields["associatedcompanyid"]).isdigit() for r in records)  # ids stay text


def test_ties_larger_than_a_page_and_since_inclusive(hs, hs_fresh: HubSpotSandbox) -> None:
    stamp = int(datetime(2026, 2, 1, tzinfo=UTC).timestamp() * 1000)
    tied = hs_fresh.insert("contacts", [{"email": f"tie{i}@example.org"} for i in range(450)], stamp=stamp)
    later = hs_fresh.insert(
        "contacts", [{"email": f"later{i}@example.org"} for i in range(5)], stamp=stamp + 1
    )
    since = datetime.fromtimestamp(stamp / 1000, UTC)
    records = read_all(hs, since=since)
    assert [r.id for r in records] == [*tied, *later]  # inclusive since, ties in id order, nothing twice
    until = read_all(hs, since=since, until=since + timedelta(milliseconds=1))
    assert [r.id for r in until] == tied


def test_ceiling_is_never_reached(hs, hs_fresh: HubSpotSandbox) -> None:
    """With a ceiling of 500 results per query, 1,300 matching records (ties included) still read whole."""
    hs_fresh.search_ceiling = 500
    base = int(datetime(2026, 3, 1, tzinfo=UTC).timestamp() * 1000)
    made: list[str] = []
    for group in range(13):
        made += hs_fresh.insert(
            "contacts",
            [{"email": f"c{group}-{i}@example.org"} for i in range(100)],
            stamp=base + group * (group % 3),
        )  # several groups share a stamp
    records = read_all(hs, since=datetime.fromtimestamp(base / 1000, UTC))
    assert sorted(r.id for r in records) == sorted(made)
    assert_ordered_once(records)


@pytest.mark.slow
def test_ten_thousand_ceiling_with_the_real_limit(hs, hs_fresh: HubSpotSandbox) -> None:
    base = int(datetime(2026, 4, 1, tzinfo=UTC).timestamp() * 1000)
    made: list[str] = []
    for group in range(105):
        made += hs_fresh.insert(
            "contacts", [{"email": f"k{group}-{i}@example.org"} for i in range(100)], stamp=base + group // 2
        )
    records = read_all(hs, since=datetime.fromtimestamp(base / 1000, UTC), batch_size=2000)
    assert len(records) == 10_500 and sorted(r.id for r in records) == sorted(made)
    assert_ordered_once(records)


def test_search_lag_and_nothing_written_twice(hs, hs_fresh: HubSpotSandbox) -> None:
    hs_fresh.search_lag = 30.0
    ops = [
        WriteOp(
            OpKind.UPSERT, f"r{i}", {"email": f"lag{i}@example.org", "firstname": "Lag"}, key_field="email"
        )
        for i in range(5)
    ]
    first = hs.write("contacts", ops)
    assert all(r.ok and r.created for r in first)
    before = hs_fresh.count("contacts")
    assert not [
        r for r in read_all(hs, fields=("email",)) if r.fields["email"].startswith("lag")
    ]  # not indexed
    found = hs.lookup(
        "contacts", "email", [f"LAG{i}@example.org" for i in range(5)]
    )  # batch/read: consistent
    assert set(found.values()) == {r.target_id for r in first}
    second = hs.write("contacts", ops)  # a rerun that could not see them in search
    assert all(r.ok and not r.created for r in second)
    assert [r.target_id for r in second] == [r.target_id for r in first]
    assert hs_fresh.count("contacts") == before
    assert hs.lookup("contacts", "firstname", ["Lag"]) == {}  # a non-unique lookup searches, and lags


def test_upsert_by_custom_unique_property(hs, hs_fresh: HubSpotSandbox) -> None:
    op = WriteOp(
        OpKind.UPSERT,
        "x1",
        {"officebridge_id": "ERP-1", "name": "Ext One", "numberofemployees": 12},
        key_field="officebridge_id",
    )
    made = hs.write("companies", [op])[0]
    again = hs.write(
        "companies",
        [WriteOp(OpKind.UPSERT, "x1", {**op.values, "name": "Ext Uno"}, key_field="officebridge_id")],
    )[0]
    assert made.created and not again.created and made.target_id == again.target_id
    assert hs_fresh.record("companies", str(made.target_id))["name"] == "Ext Uno"  # type: ignore[index]


def test_refused_records_fail_alone(hs, hs_fresh: HubSpotSandbox) -> None:
    hs_fresh.add_fault(
        "record_error", object="contacts", field="lastname", value="Refused", code="INVALID_VALUE"
    )
    values = [{"email": f"ok{i}@example.org", "lastname": "Fine"} for i in range(20)]
    values[3]["email"] = "not-an-email"
    values[15]["lastname"] = "Refused"
    before = hs_fresh.count("contacts")
    hs_fresh.reset_stats()
    results = hs.write("contacts", [WriteOp(OpKind.CREATE, f"r{i}", v) for i, v in enumerate(values)])
    failed = {i: r for i, r in enumerate(results) if not r.ok}
    assert set(failed) == {3, 15}
    assert failed[3].error_code == "INVALID_EMAIL" and failed[3].fields == ("email",)
    assert failed[15].error_code == "INVALID_VALUE" and failed[15].fields == ("lastname",)
    assert hs_fresh.count("contacts") == before + 18
    assert (
        hs_fresh.stats()["by_operation"]["contacts.batch.create"] <= 1 + 2 * 2 * 5
    )  # bisection, not 20 calls
    assert len({r.target_id for r in results if r.ok}) == 18


def test_update_of_a_missing_id_is_a_multi_status(hs, hs_fresh: HubSpotSandbox) -> None:
    some = read_all(hs)[:3]
    ops = [WriteOp(OpKind.UPDATE, r.id, {"jobtitle": "CTO"}, target_id=r.id) for r in some]
    ops.insert(1, WriteOp(OpKind.UPDATE, "ghost", {"jobtitle": "CTO"}, target_id="99999999999"))
    results = hs.write("contacts", ops)
    assert [r.status for r in results] == [WriteStatus.OK, WriteStatus.FAILED, WriteStatus.OK, WriteStatus.OK]
    assert results[1].error_code == "OBJECT_NOT_FOUND"
    assert all(hs_fresh.record("contacts", r.id)["jobtitle"] == "CTO" for r in some)  # type: ignore[index]


def test_association_on_create(hs, hs_fresh: HubSpotSandbox) -> None:
    company = read_all(hs, "companies")[0]
    made = hs.write(
        "contacts",
        [WriteOp(OpKind.CREATE, "a", {"email": "assoc@example.org", "associatedcompanyid": int(company.id)})],
    )[0]
    assert made.ok
    assert hs_fresh.associations("contacts", str(made.target_id), "companies") == [(company.id, 1)]


def test_archive_and_archived_reads(hs, hs_fresh: HubSpotSandbox) -> None:
    start = datetime.now(UTC) - timedelta(seconds=1)
    victims = read_all(hs)[:2]
    results = hs.write("contacts", [WriteOp(OpKind.ARCHIVE, v.id, target_id=v.id) for v in victims])
    assert all(r.ok for r in results)
    live = read_all(hs)
    assert not {v.id for v in victims} & {r.id for r in live}
    changed = read_all(hs, since=start, include_deleted=True)
    assert {r.id for r in changed if r.deleted} == {v.id for v in victims}
    fetched = hs.fetch("contacts", ["email"], [v.id for v in victims])
    assert all(r.deleted for r in fetched) and {r.id for r in fetched} == {v.id for v in victims}


def test_rate_limit_fault_is_retried_after_its_retry_after(hs, hs_fresh: HubSpotSandbox) -> None:
    hs_fresh.add_fault("rate_limit", retry_after=1, path="/search")
    t0 = time.monotonic()
    assert read_all(hs, "deals")
    assert time.monotonic() - t0 >= 1.0
    assert hs_fresh.stats()["faults"] == {"rate_limit": 1}


def test_search_limit_429_secondly_with_headers(hs, hs_fresh: HubSpotSandbox, raw_client) -> None:  # type: ignore[no-untyped-def]
    hs_fresh.set_limits(LimitConfig(search_per_second=1, burst=1000))
    hs.api.settings = type(hs.api.settings)(**{**hs.api.settings.__dict__, "search_per_second": 50.0})
    for _ in range(3):
        assert hs.lookup("contacts", "firstname", ["Anna"])  # each would be refused at once without a retry
    assert hs.api.retries >= 1
    props = raw_client.crm.properties.core_api.get_all("contacts", _preload_content=False)
    assert int(props.headers["X-HubSpot-RateLimit-Max"]) == 1000
    assert "X-HubSpot-RateLimit-Daily-Remaining" in props.headers


def test_server_errors_are_retried_for_reads_and_unknown_for_creates(hs, hs_fresh: HubSpotSandbox) -> None:
    hs_fresh.add_fault("server_error", status=502, times=2, path="/search")
    assert read_all(hs, "companies")
    before = hs_fresh.count("contacts")
    hs_fresh.add_fault("drop", after=True, path="/batch/create")
    lost = hs.write("contacts", [WriteOp(OpKind.CREATE, "d", {"email": "dropped@example.org"})])
    assert lost[0].status is WriteStatus.UNKNOWN  # landed, but we cannot know: never resent blindly
    assert hs_fresh.count("contacts") == before + 1
    assert list(hs.lookup("contacts", "email", ["dropped@example.org"]))  # settles it, consistently
    hs_fresh.add_fault("server_error", status=503, times=1, path="/batch/upsert")
    upserted = hs.write(
        "contacts", [WriteOp(OpKind.UPSERT, "d", {"email": "dropped@example.org"}, key_field="email")]
    )
    assert upserted[0].ok and not upserted[0].created and hs_fresh.count("contacts") == before + 1
