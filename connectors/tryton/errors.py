"""Classify every failure of a Tryton JSON-RPC call, in one place.

Tryton answers most faults with HTTP 200 and `{"error": [name, args]}`:
`UserError`/`UserWarning` (a business rule refused the records of the call),
`ConcurrencyException` (a stale `_timestamp`), `LoginException`; anything else
is a bare `[str(exception), ""]` (an unknown field, a bad domain, a missing
business value before a button). A failed call rolls back entirely, so all of
these concern the records of that call: they become per-record failures in a
write (the batch is bisected to find the culprits) and a `ConfigError` in a
read. Transport faults come as HTTP statuses: 401 is refused credentials at
login and an expired session afterwards (log in again), 429 (too many failed
logins, or a proxy) and 502/503/504 are transient, 404 an unknown database,
403 a method not exposed over RPC. A refused connection is unreachable; a
timeout or a dropped connection after the request went out leaves the outcome
of a create unknown.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

from officebridge.errors import (
    AuthenticationError,
    ConfigError,
    OfficeBridgeError,
    RecordError,
    RemoteProtocolError,
    RetriableError,
    SessionExpiredError,
)
from officebridge.secrets import redact

RETRIABLE_STATUSES = frozenset({429, 502, 503, 504})
# how urllib3 words a connection that never opened (nothing was sent)
REFUSALS = ("Connection refused", "Name or service not known", "NewConnectionError", "Failed to resolve",
            "No route to host")  # fmt: skip


class UnreachableRetry(RetriableError):
    """The host did not accept a connection; retried, then reported as UnreachableError."""


class TrytonRecordError(RecordError):
    """Tryton refused the records of one call; `code` is Tryton's error name (or TrytonError)."""

    def __init__(self, code: str, message: str, domain: Any = None) -> None:
        self.domain = domain  # UserError's third element: the violated domain, when Tryton sends one
        super().__init__(message, stage="write", code=code)


def retry_after(response: requests.Response | None) -> float | None:
    value = response.headers.get("Retry-After") if response is not None else None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            return None


def outcome_unknown(exc: BaseException) -> bool:
    """True when the request went out and its answer was lost (it may have been applied)."""
    if isinstance(exc, requests.ConnectTimeout | requests.exceptions.ConnectionError):
        return isinstance(exc, requests.exceptions.ChunkedEncodingError) or _after_send(exc)
    if isinstance(exc, requests.ReadTimeout | requests.exceptions.ChunkedEncodingError):
        return True
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return exc.response.status_code in (502, 504)
    return False


def _after_send(exc: BaseException) -> bool:
    """A connection error that is not a refusal to connect: the server dropped us mid-answer."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    text = str(exc)
    return not any(s in text for s in REFUSALS)


def classify_transport(exc: BaseException, what: str) -> OfficeBridgeError:
    if isinstance(exc, OfficeBridgeError):
        return exc
    if isinstance(exc, requests.ConnectTimeout):
        return UnreachableRetry(f"Tryton {what}: connection timed out")
    if isinstance(exc, requests.Timeout):
        return RetriableError(f"Tryton {what}: timed out")
    if isinstance(exc, requests.exceptions.ConnectionError):
        if _after_send(exc):
            return RetriableError(f"Tryton {what}: connection dropped ({type(exc).__name__})")
        return UnreachableRetry(f"Tryton {what}: connection failed")
    return RemoteProtocolError(f"Tryton {what}: unexpected failure {type(exc).__name__}: {redact(str(exc))}")


def classify_status(  # noqa: PLR0911 - one branch per HTTP status, kept in one place on purpose
    response: requests.Response, what: str, *, login: bool
) -> OfficeBridgeError:
    status = response.status_code
    if status in RETRIABLE_STATUSES:
        return RetriableError(f"Tryton {what}: HTTP {status}", retry_after=retry_after(response))
    if status == 401:
        if login:
            return AuthenticationError(f"Tryton {what}: login refused (wrong login or password)")
        return SessionExpiredError(f"Tryton {what}: session expired or refused")
    if status == 404:
        return ConfigError(f"Tryton {what}: database not found on the server (HTTP 404)")
    if status == 403:
        return ConfigError(f"Tryton {what}: method not exposed over RPC (HTTP 403)")
    if status == 422:
        return RemoteProtocolError(f"Tryton {what}: request refused (HTTP 422, e.g. missing context)")
    return RemoteProtocolError(f"Tryton {what}: HTTP {status}")


def classify_error(error: Any, what: str) -> OfficeBridgeError:
    """The `error` member of a JSON-RPC answer as an officebridge error."""
    if not isinstance(error, list) or not error:
        return RemoteProtocolError(f"Tryton {what}: unreadable error {redact(str(error))[:200]}")
    name = str(error[0])
    args = error[1] if len(error) > 1 else None
    if name == "LoginException":
        return AuthenticationError(f"Tryton {what}: login needs more than a password ({_arg(args, 0)})")
    if name in ("UserError", "UserWarning", "ConcurrencyException", "AccessError"):
        detail = " ".join(s for s in (_arg(args, 0), _arg(args, 1)) if s)
        domain = args[2] if isinstance(args, list) and len(args) > 2 else None
        return TrytonRecordError(name, redact(detail or name), domain)
    return TrytonRecordError("TrytonError", redact(name))


def _arg(args: Any, index: int) -> str:
    if isinstance(args, list) and len(args) > index and isinstance(args[index], str):
        return str(args[index])
    if isinstance(args, str) and index == 0:
        return args
    return ""
