"""One Salesforce `write()` call answers every op whatever one of its requests does (the manifest's
`max_write_call`): through simple-salesforce against the sandbox, a fault armed on one composite
chunk or one Bulk step answers that request's ops (refused, unknown, transient, not sent) and keeps
the answers of every request that landed; a stop raises only while nothing was answered."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from connectors.salesforce.budget import ApiBudgetExhaustedError
from connectors.salesforce.connector import NOT_SENT, SalesforceConnector
from connectors.salesforce.manifest import MANIFEST
from connectors.salesforce.sandbox import SalesforceSandbox
from connectors.salesforce.testing import FAST
from officebridge.connections import parse_connection
from officebridge.connector import OpKind, WriteOp, WriteResult, WriteStatus

API_ERROR_400 = [{"errorCode": "INVALID_FIELD", "message": "No such column 'Bogus__c' on entity 'Account'"}]


def connector(sb: SalesforceSandbox, **extra: Any) -> SalesforceConnector:
    conn = parse_connection("sf_answers", sb.connection_value())
    out = SalesforceConnector(dataclasses.replace(conn, extra={**conn.extra, **extra}), retry_policy=FAST)
    out.bulk.sleep = lambda _s: None  # polls back to back: the sandbox answers InProgress once
    return out


def creates(n: int, site: str) -> list[WriteOp]:
    return [
        WriteOp(OpKind.CREATE, f"{site}-{i}", {"Name": f"{site} {i:04d}", "Site": site}) for i in range(n)
    ]


def skip_then(sb: SalesforceSandbox, requests: int, operation: str) -> None:
    """Let the first `requests` calls of `operation` through untouched (faults are taken oldest first)."""
    if requests:
        sb.add_fault("slow", seconds=0, operation=operation, times=requests)


def landed(sb: SalesforceSandbox, site: str) -> set[str]:
    return {r[0] for r in sb.store.query(f'SELECT "Name" FROM "Account" WHERE "Site" = \'{site}\'')}


def calls(sb: SalesforceSandbox, operation: str) -> int:
    return int(sb.stats()["by_operation"].get(operation, 0))


def by_status(results: list[WriteResult]) -> dict[WriteStatus, int]:
    out: dict[WriteStatus, int] = {}
    for r in results:
        out[r.status] = out.get(r.status, 0) + 1
    return out


def test_manifest_lets_the_engine_hand_over_a_bulk_sized_call() -> None:
    caps = MANIFEST.capabilities
    assert caps.max_write_batch == 200  # one composite request
    assert caps.write_call >= 2000  # the default bulk_write_threshold fits in one call


def test_a_refused_middle_chunk_fails_alone_and_the_landed_chunks_keep_their_answers(
    sf_sandbox_fresh: SalesforceSandbox,
) -> None:
    sb = sf_sandbox_fresh
    skip_then(sb, 2, "POST composite/sobjects")
    sb.add_fault("raw", status=400, body=API_ERROR_400, content_type="application/json",
                 operation="POST composite/sobjects")  # fmt: skip
    ops = creates(1000, "mid")
    results = connector(sb, bulk="never").write("Account", ops)
    assert [r.ref for r in results] == [op.ref for op in ops]
    refused = results[400:600]
    assert all(r.status is WriteStatus.FAILED and r.error_code == "INVALID_FIELD" for r in refused)
    assert not any(r.retriable for r in refused)  # the same request would be refused again
    kept = results[:400] + results[600:]
    assert all(r.ok and r.created and r.target_id for r in kept)
    assert landed(sb, "mid") == {op.values["Name"] for op in ops[:400] + ops[600:]}
    assert calls(sb, "POST composite/sobjects") == 5


def test_a_chunk_whose_answer_is_lost_after_a_create_is_unknown_and_the_rest_lands(
    sf_sandbox_fresh: SalesforceSandbox,
) -> None:
    sb = sf_sandbox_fresh
    skip_then(sb, 1, "POST composite/sobjects")
    sb.add_fault("drop", after=True, operation="POST composite/sobjects")  # applied, answer lost
    ops = creates(600, "lost")
    results = connector(sb, bulk="never").write("Account", ops)
    assert by_status(results) == {WriteStatus.OK: 400, WriteStatus.UNKNOWN: 200}
    assert all(r.status is WriteStatus.UNKNOWN for r in results[200:400])  # never resent: no duplicate
    assert len(landed(sb, "lost")) == 600 and calls(sb, "POST composite/sobjects") == 3


def test_an_update_chunk_after_creates_fails_alone_without_losing_the_creates(
    sf_sandbox_fresh: SalesforceSandbox,
) -> None:
    sb = sf_sandbox_fresh
    conn = connector(sb, bulk="never")
    first = conn.write("Account", creates(3, "upd"))
    updates = [WriteOp(OpKind.UPDATE, f"u{i}", {"Site": "upd2"}, target_id=r.target_id)
               for i, r in enumerate(first)]  # fmt: skip
    sb.add_fault("raw", status=400, body=API_ERROR_400, content_type="application/json",
                 operation="PATCH composite/sobjects")  # fmt: skip
    results = conn.write("Account", [*creates(250, "mix"), *updates])
    assert all(r.ok for r in results[:250]) and len(landed(sb, "mix")) == 250
    assert [r.error_code for r in results[250:]] == ["INVALID_FIELD"] * 3


def test_transient_faults_fail_their_request_then_stop_the_call_once_two_in_a_row_fail(
    sf_sandbox_fresh: SalesforceSandbox,
) -> None:
    sb = sf_sandbox_fresh
    skip_then(sb, 1, "POST composite/sobjects")
    sb.add_fault("rate_limit", retry_after=0, operation="POST composite/sobjects", times=None)
    ops = creates(1000, "storm")
    results = connector(sb, bulk="never").write("Account", ops)
    assert all(r.ok for r in results[:200])
    assert {(r.error_code, r.retriable) for r in results[200:600]} == {("REQUEST_FAILED", True)}
    assert {(r.error_code, r.retriable) for r in results[600:]} == {(NOT_SENT, True)}
    assert len(landed(sb, "storm")) == 200
    assert calls(sb, "POST composite/sobjects") == 1 + 2 * FAST.attempts  # nothing tried after the stop


def test_a_transient_fault_before_anything_landed_raises_as_before(
    sf_sandbox_fresh: SalesforceSandbox,
) -> None:
    sb = sf_sandbox_fresh
    sb.add_fault("rate_limit", retry_after=0, operation="POST composite/sobjects", times=None)
    with pytest.raises(Exception, match="REQUEST_LIMIT_EXCEEDED"):
        connector(sb, bulk="never").write("Account", creates(400, "early"))
    assert landed(sb, "early") == set()


def test_a_stop_after_a_chunk_landed_answers_the_rest_not_sent_without_calling(
    sf_sandbox_fresh: SalesforceSandbox,
) -> None:
    sb = sf_sandbox_fresh
    before = int(sb.stats()["api_usage"])
    try:
        sb.set_limits(allocation=1000, used=899)
        conn = connector(sb, bulk="never", api_stop_at=0.9)
        conn.budget.sleep = lambda _s: None
        results = conn.write("Account", creates(600, "budget"))  # the first answer says 900 of 1,000
        assert all(r.ok for r in results[:200])
        assert {(r.error_code, r.retriable) for r in results[200:]} == {(NOT_SENT, True)}
        assert "api_stop_at" in (results[-1].message or "")
        assert calls(sb, "POST composite/sobjects") == 1
        with pytest.raises(ApiBudgetExhaustedError):  # nothing of this call answered yet: raised
            conn.write("Account", creates(10, "budget2"))
    finally:
        sb.set_limits(allocation=15000, used=before, enforce=False)


def test_bulk_job_whose_results_cannot_be_read_is_unknown_for_its_ops_only(
    sf_sandbox_fresh: SalesforceSandbox,
) -> None:
    sb = sf_sandbox_fresh
    sb.add_fault("server_error", status=503, operation="GET jobs/ingest/{id}/successfulResults", times=None)
    ops = [*creates(5, "bulkres"), WriteOp(OpKind.CREATE, "bad", {"Name": None, "Site": "bulkres"})]
    results = connector(sb, bulk="always").write("Account", ops)
    assert [r.status for r in results[:5]] == [WriteStatus.UNKNOWN] * 5
    assert all("successfulResults" in (r.message or "") for r in results[:5])
    assert results[5].error_code == "REQUIRED_FIELD_MISSING"  # the failed set was read: its answer kept
    assert len(landed(sb, "bulkres")) == 5 and calls(sb, "POST composite/sobjects") == 0


def test_bulk_job_failed_with_unreadable_results_sends_its_unprocessed_through_composite(
    sf_sandbox_fresh: SalesforceSandbox,
) -> None:
    sb = sf_sandbox_fresh
    sb.add_fault("bulk_job_failed", operation="PATCH jobs/ingest", processed=3)
    sb.add_fault("server_error", status=503, operation="GET jobs/ingest/{id}/successfulResults", times=None)
    ops = creates(8, "bulkpart")
    results = connector(sb, bulk="always").write("Account", ops)
    assert [r.status for r in results] == [WriteStatus.UNKNOWN] * 3 + [WriteStatus.OK] * 5
    assert len(landed(sb, "bulkpart")) == 8  # each exactly once: the processed three were not resent
    assert calls(sb, "POST composite/sobjects") == 1


def test_bulk_job_that_cannot_be_created_goes_through_composite(sf_sandbox_fresh: SalesforceSandbox) -> None:
    sb = sf_sandbox_fresh
    sb.add_fault("raw", status=400, body=API_ERROR_400, content_type="application/json",
                 operation="POST jobs/ingest")  # fmt: skip
    results = connector(sb, bulk="always").write("Account", creates(300, "nojob"))
    assert all(r.ok for r in results) and len(landed(sb, "nojob")) == 300
    assert calls(sb, "POST composite/sobjects") == 2


def test_bulk_job_that_processed_nothing_goes_through_composite_even_unread(
    sf_sandbox_fresh: SalesforceSandbox,
) -> None:
    sb = sf_sandbox_fresh
    sb.add_fault("bulk_job_failed", operation="PATCH jobs/ingest", processed=0)
    sb.add_fault("server_error", status=503, operation=r"GET jobs/ingest/\{id\}/\w+", times=None)
    results = connector(sb, bulk="always").write("Account", creates(4, "bulknone"))
    assert all(r.ok for r in results) and len(landed(sb, "bulknone")) == 4  # the job said: none processed


def test_a_session_that_cannot_be_renewed_mid_call_answers_the_rest_not_sent(
    sf_sandbox_fresh: SalesforceSandbox,
) -> None:
    sb = sf_sandbox_fresh
    conn = connector(sb, bulk="never")
    conn.check()  # logged in; then the integration user's password is rotated
    user = sb.user
    try:
        sb.user = dataclasses.replace(user, password="rotated-by-an-admin")
        skip_then(sb, 1, "POST composite/sobjects")
        sb.add_fault("expire_sessions", operation="POST composite/sobjects")
        results = conn.write("Account", creates(600, "relogin"))
    finally:
        sb.user = user
    assert all(r.ok for r in results[:200]) and len(landed(sb, "relogin")) == 200
    assert {(r.error_code, r.retriable) for r in results[200:]} == {(NOT_SENT, True)}
    assert "INVALID_LOGIN" in (results[200].message or "")
    assert calls(sb, "POST composite/sobjects") == 2 and calls(sb, "POST login") == 2
