"""The error tree mapped to Airflow once: what fails fast and what Airflow retries."""

from __future__ import annotations

import pytest

from connectors.salesforce.errors import SalesforceRequestError
from officebridge.airflow.failure import Verdict, verdict
from officebridge.errors import (
    AuthenticationError,
    BatchRejectedError,
    ConfigError,
    ConnectionNotFoundError,
    FatalError,
    OutcomeUnknownError,
    RemoteProtocolError,
    RetriableError,
    SessionExpiredError,
    StateError,
    SyncLockedError,
    TLSVerificationError,
    UnreachableError,
)

CASES = [
    (ConfigError("bad mapping"), Verdict.FAIL),
    (ConnectionNotFoundError("odoo_default"), Verdict.FAIL),
    (AuthenticationError("refused"), Verdict.FAIL),
    (TLSVerificationError("certificate does not verify"), Verdict.FAIL),
    (StateError("schema outdated"), Verdict.FAIL),
    (BatchRejectedError("rejected by a check"), Verdict.FAIL),
    (SyncLockedError("locked by run 7"), Verdict.RETRY),
    (RetriableError("HTTP 503"), Verdict.RETRY),
    (SessionExpiredError("expired"), Verdict.RETRY),
    (OutcomeUnknownError("dropped"), Verdict.RETRY),
    (UnreachableError("connection refused"), Verdict.RETRY),
    (RemoteProtocolError("an HTML page"), Verdict.RETRY),
    (SalesforceRequestError("HTTP 400", status=400, error_code="MALFORMED_QUERY"), Verdict.RETRY),
    (FatalError("other"), Verdict.RETRY),
]


@pytest.mark.parametrize(("error", "expected"), CASES, ids=lambda v: type(v).__name__)
def test_verdict(error: Exception, expected: Verdict) -> None:
    assert verdict(error) is expected


def test_a_lock_is_no_longer_fatal() -> None:
    assert not isinstance(SyncLockedError("x"), FatalError)
