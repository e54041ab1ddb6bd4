"""The Zendesk connector through zenpy, over HTTPS, against the sandbox: what the sandbox then holds."""

from __future__ import annotations

import base64
import dataclasses
import logging
import time

import pytest

from connectors.zendesk.connector import ZendeskConnector
from connectors.zendesk.sandbox import ZendeskSandbox
from officebridge.connections import Connection
from officebridge.connector import OpKind, ReadRequest, WriteOp, WriteStatus
from officebridge.errors import AuthenticationError, RetriableError
from officebridge.secrets import Secret
from tests.fixtures.zendesk import FAST_RETRY

LAG = 61


def _read_all(connector: ZendeskConnector, request: ReadRequest) -> tuple[list[str], str | None]:
    ids, token = [], None
    for page in connector.read(request):
        ids += [r.id for r in page.records]
        token = page.resume
    return ids, token


def test_check_and_describe(zendesk: ZendeskConnector) -> None:
    zendesk.check()
    info = zendesk.describe("users")
    assert info.fields["external_id"].external_id
    assert info.fields["id"].readonly


def test_refused_credentials_leak_no_secret(
    zendesk_connection: Connection, zendesk_fresh: ZendeskSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "wrong-token-value-1234"
    conn = dataclasses.replace(zendesk_connection, extra={**zendesk_connection.extra, "token": wrong})
    connector = ZendeskConnector(conn, retry_policy=FAST_RETRY)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(AuthenticationError) as info:
        connector.check()
    basic = base64.b64encode(f"{conn.login}/token:{wrong}".encode()).decode()
    text = str(info.value) + caplog.text
    assert "Couldn't authenticate you" in str(info.value)
    assert wrong not in text and basic not in text
    assert zendesk_fresh.stats()["requests"] == 1  # a refusal is not retried


def test_incremental_read_across_pages_resumes_exactly(
    zendesk: ZendeskConnector, zendesk_fresh: ZendeskSandbox
) -> None:
    request = ReadRequest("tickets", ("id", "subject", "status"), include_deleted=True, batch_size=7)
    pages = list(zendesk.read(request))
    assert len(pages) > 3
    first_ids = [r.id for p in pages for r in p.records]
    assert len(first_ids) == len(set(first_ids)) == zendesk_fresh.store.count("tickets")
    # resume from the token of the third page: exactly the rest, nothing again
    resumed, _ = _read_all(zendesk, dataclasses.replace(request, since=pages[2].resume))
    assert resumed == [r.id for p in pages[3:] for r in p.records]
    # new changes are held back for a minute, then follow the stored token
    token = pages[-1].resume
    result = zendesk.write(
        "tickets", [WriteOp(OpKind.UPDATE, "t", {"subject": "Changed"}, target_id=first_ids[0])]
    )
    assert result[0].ok
    assert _read_all(zendesk, dataclasses.replace(request, since=token))[0] == []
    zendesk_fresh.advance(LAG)
    assert _read_all(zendesk, dataclasses.replace(request, since=token))[0] == [first_ids[0]]


def test_soft_deleted_tickets_are_tombstones(
    zendesk: ZendeskConnector, zendesk_fresh: ZendeskSandbox
) -> None:
    request = ReadRequest("tickets", ("id", "status"), include_deleted=True)
    everything = [r for p in zendesk.read(request) for r in p.records]
    deleted = [r for r in everything if r.deleted]
    assert deleted and all(r.fields["status"] == "deleted" for r in deleted)
    visible = [
        r.id for p in zendesk.read(dataclasses.replace(request, include_deleted=False)) for r in p.records
    ]
    assert set(visible) == {r.id for r in everything if not r.deleted}
    victim = visible[0]
    assert zendesk.write("tickets", [WriteOp(OpKind.DELETE, "d", target_id=victim)])[0].ok
    assert zendesk_fresh.store.get("tickets", int(victim))["status"] == "deleted"  # type: ignore[index]


def test_organizations_time_export_deduplicates_and_resumes(
    zendesk: ZendeskConnector, zendesk_fresh: ZendeskSandbox
) -> None:
    orgs = [zendesk_fresh.store.get("organizations", r.id) for r in zendesk_fresh.store.by_time(
        "organizations", start=0, until=2**40, limit=5)]  # fmt: skip
    stamp = int(time.time()) - 3600
    for org in orgs[:3]:  # three organizations sharing one second, across a page edge
        zendesk_fresh.store.save("organizations", org, at=stamp)  # type: ignore[arg-type]
    request = ReadRequest("organizations", ("id", "name"), batch_size=4)
    pages = list(zendesk.read(request))
    ids = [r.id for p in pages for r in p.records]
    assert len(ids) == len(set(ids)) == zendesk_fresh.store.count("organizations")
    resumed, _ = _read_all(zendesk, dataclasses.replace(request, since=pages[1].resume))
    assert resumed == [r.id for p in pages[2:] for r in p.records]


def test_user_upsert_is_idempotent(zendesk: ZendeskConnector, zendesk_fresh: ZendeskSandbox) -> None:
    values = [
        {"name": f"Person {i}", "email": f"p{i}@example.org", "external_id": f"SF-{i}"} for i in range(5)
    ]
    ops = [WriteOp(OpKind.UPSERT, f"c{i}", v, key_field="external_id") for i, v in enumerate(values)]
    before = zendesk_fresh.store.count("users")
    first = zendesk.write("users", ops)
    assert all(r.ok and r.created for r in first)
    second = zendesk.write("users", ops)
    assert [r.target_id for r in second] == [r.target_id for r in first]
    assert not any(r.created for r in second)
    assert zendesk_fresh.store.count("users") == before + 5


def test_create_many_job_isolates_a_refused_item(
    zendesk: ZendeskConnector, zendesk_fresh: ZendeskSandbox
) -> None:
    zendesk_fresh.add_fault("record_error", field="name", value="Refuse Me", message="Name: is not allowed")
    ops = [
        WriteOp(OpKind.CREATE, f"o{i}", {"name": n}) for i, n in enumerate(["Alpha", "Refuse Me", "Gamma"])
    ]
    results = zendesk.write("organizations", ops)
    assert [r.status for r in results] == [WriteStatus.OK, WriteStatus.FAILED, WriteStatus.OK]
    assert results[1].fields == ("name",)
    assert zendesk_fresh.store.find("organizations", "name", "Gamma") is not None
    assert zendesk_fresh.store.find("organizations", "name", "Refuse Me") is None
    polls = zendesk_fresh.stats()["by_operation"].get("job_statuses.show", 0)
    assert polls >= 1


def test_rate_limit_storm_is_waited_out(zendesk: ZendeskConnector, zendesk_fresh: ZendeskSandbox) -> None:
    zendesk_fresh.add_fault("rate_limit", times=3, retry_after=1)
    started = time.monotonic()
    zendesk.check()
    assert time.monotonic() - started >= 3  # zenpy honoured Retry-After each time
    assert zendesk_fresh.stats()["faults"]["rate_limit"] == 3


def test_server_errors_retried_on_reads_and_unknown_on_create(
    zendesk: ZendeskConnector, zendesk_fresh: ZendeskSandbox
) -> None:
    zendesk_fresh.add_fault("server_error", times=2, status=503)
    ids, _ = _read_all(zendesk, ReadRequest("users", ("id",), include_deleted=True))
    assert len(ids) == zendesk_fresh.store.count("users")
    zendesk_fresh.add_fault("server_error", times=1, status=500, operation="create_many")
    result = zendesk.write("organizations", [WriteOp(OpKind.CREATE, "x", {"name": "Maybe Org"})])
    assert result[0].status is WriteStatus.UNKNOWN
    zendesk_fresh.add_fault("server_error", times=4, status=502)
    with pytest.raises(RetriableError):
        zendesk.check()


def test_expired_oauth_token(zendesk_connection: Connection, zendesk_fresh: ZendeskSandbox) -> None:
    token = zendesk_fresh.issue_oauth_token()
    Secret(token)
    extra = {"oauth_token": token, "ca_file": str(zendesk_fresh.ca_file)}
    conn = dataclasses.replace(zendesk_connection, login=None, extra=extra)
    connector = ZendeskConnector(conn, retry_policy=FAST_RETRY)
    connector.check()
    zendesk_fresh.expire_sessions()
    with pytest.raises(AuthenticationError, match="expired or revoked") as info:
        connector.check()
    assert token not in str(info.value)


def test_lookup_by_external_id_is_immediate_by_email_lags(
    zendesk: ZendeskConnector, zendesk_fresh: ZendeskSandbox
) -> None:
    op = WriteOp(OpKind.UPSERT, "n", {"name": "New Person", "email": "new.person@example.org",
                                      "external_id": "SF-NEW"}, key_field="external_id")  # fmt: skip
    target = zendesk.write("users", [op])[0].target_id
    assert zendesk.lookup("users", "external_id", ["SF-NEW", "missing"]) == {"SF-NEW": target}
    assert zendesk.lookup("users", "email", ["new.person@example.org"]) == {}  # not indexed yet
    zendesk_fresh.advance(20)
    assert zendesk.lookup("users", "email", ["New.Person@example.org"]) == {"New.Person@example.org": target}


def test_external_ids_are_case_insensitive(zendesk: ZendeskConnector, zendesk_fresh: ZendeskSandbox) -> None:
    """Zendesk documents "company1" and "Company1" as the same external id."""
    op = WriteOp(OpKind.CREATE, "o", {"name": "Case Co", "external_id": "0015g000000AbCdAAA"})
    [made] = zendesk.write("organizations", [op])
    assert made.ok, made.message
    assert zendesk.lookup("organizations", "external_id", ["0015G000000ABCDAAA"]) == {
        "0015G000000ABCDAAA": made.target_id
    }
    again = WriteOp(OpKind.CREATE, "o2", {"name": "Case Co 2", "external_id": "0015g000000abcdaaa"})
    [refused] = zendesk.write("organizations", [again])
    assert refused.status is WriteStatus.FAILED and refused.error_code == "DuplicateValue"
