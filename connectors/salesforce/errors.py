"""Turn every Salesforce failure into one officebridge error class, in one place.

The engine reacts to the class, never to status codes, so this module is the only
place that knows what a 401, a 403 REQUEST_LIMIT_EXCEEDED or a reset connection
means for a sync. The rules:

- 401 INVALID_SESSION_ID -> `SessionExpiredError` (the connector logs in again and retries);
- 403 REQUEST_LIMIT_EXCEEDED, 429, 503 -> `RetriableError`, with the server's Retry-After;
- other 5xx, read timeouts, connections dropped mid-request -> `RetriableError` when the
  call is idempotent; for a create, the server may already have acted, so retrying could
  write twice: `WriteOutcomeUnknownError` instead (the write turns it into failed results);
- a connection that could not be opened -> `ConnectFailedError` (retried, then `UnreachableError`);
- a certificate that does not verify -> `TLSVerificationError` (never retried);
- refused login -> `AuthenticationError`, but only when Salesforce's SOAP endpoint said so (a
  fault with an exceptionCode such as INVALID_LOGIN); a login answered by anything else (an
  HTML page, a REST-style 403 JSON body, a 5xx page) is a proxy or an outage: `RetriableError`;
- no complete answer within the call's overall deadline -> as a timeout (`deadline_passed`);
- any other 4xx -> `SalesforceRequestError` carrying Salesforce's errorCode and message.

Messages pass through `redact`, so no password or session id can leak.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import requests
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceError

from officebridge.errors import (
    AuthenticationError,
    FatalError,
    OfficeBridgeError,
    RemoteProtocolError,
    RetriableError,
    SessionExpiredError,
    TLSVerificationError,
)
from officebridge.secrets import redact

RETRIABLE_CODES = frozenset({"REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE", "UNABLE_TO_LOCK_ROW"})
# SOAP login fault codes that mean "try again later", not "wrong credentials".
RETRIABLE_LOGIN_CODES = frozenset({"REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE", "LOGIN_RATE_EXCEEDED"})
_MAX_DETAIL = 500


class ConnectFailedError(RetriableError):
    """No connection could be opened; retried, then reported as UnreachableError."""


class WriteOutcomeUnknownError(FatalError):
    """A non-idempotent call may or may not have been applied; retrying could write twice."""


class SalesforceRequestError(FatalError):
    """Salesforce refused a request (4xx); retrying the same request will not help."""

    def __init__(self, message: str, *, status: int, error_code: str | None) -> None:
        self.status = status
        self.error_code = error_code
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class CallContext:
    """What the classifier needs to know about the failed call."""

    what: str  # e.g. "query Account", for messages
    conn_id: str
    endpoint: str  # base URL, for messages
    idempotent: bool = True
    retry_after: float | None = None  # from the failing response, if any
    trusted: str = "the default CA bundle"


def error_parts(content: Any) -> tuple[str | None, str]:
    """(errorCode, message) from a Salesforce error body: a JSON list, a dict or text."""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        first = content[0]
        code = first.get("errorCode") or first.get("statusCode")
        return (str(code) if code else None), str(first.get("message") or "")
    if isinstance(content, dict):
        code = content.get("errorCode") or content.get("error")
        return (str(code) if code else None), str(
            content.get("message") or content.get("error_description") or ""
        )
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    return None, str(content or "")[:_MAX_DETAIL]


def _clean(text: str) -> str:
    return redact(" ".join(text.split()))[:_MAX_DETAIL]


def _network_reason(exc: BaseException) -> str:
    """The innermost human part of a requests/urllib3 error ("[Errno 111] Connection refused")."""
    text = str(exc)
    found = re.findall(r"\[(?:Errno|SSL)[^\]]*\][^'\")]*", text)
    if found:
        return _clean(re.sub(r"\s*\(_ssl\.c:\d+$", "", found[-1].strip()))
    return _clean(text) or type(exc).__name__


def login_not_soap(ctx: CallContext, status: int | str = 200) -> RetriableError:
    """A login answered by something that is not Salesforce's SOAP endpoint (a proxy, an outage page)."""
    return RetriableError(
        f"Salesforce login at {ctx.endpoint} (connection {ctx.conn_id!r}) answered HTTP {status} "
        "without Salesforce's SOAP answer (a proxy or outage page, not a refusal of the credentials)",
        retry_after=ctx.retry_after,
    )


def deadline_passed(ctx: CallContext, seconds: float) -> OfficeBridgeError:
    """The call got no complete answer within its overall deadline (e.g. an answer dripping in)."""
    where = f"{ctx.what} (connection {ctx.conn_id!r})"
    if ctx.idempotent:
        return RetriableError(f"{where}: no complete answer within the {seconds:g}s deadline")
    return WriteOutcomeUnknownError(
        f"{where}: no complete answer within the {seconds:g}s deadline; the server may have applied it"
    )


def classify_login_failure(
    exc: SalesforceAuthenticationFailed, ctx: CallContext, username: str
) -> OfficeBridgeError:
    """Only a SOAP fault (a string exceptionCode) is Salesforce's answer; an HTTP status means
    simple-salesforce could not parse the body, so a proxy or an outage page answered."""
    code = exc.code
    message = _clean(exc.auth_message or "")
    if code is None or isinstance(code, int) or code in ("", "UNKNOWN_EXCEPTION_CODE"):
        # no exceptionCode in a body that parsed as XML: a well-formed outage page, not a refusal
        return login_not_soap(ctx, code if isinstance(code, int) else 200)
    if isinstance(code, str) and code in RETRIABLE_LOGIN_CODES:
        return RetriableError(
            f"Salesforce login at {ctx.endpoint} deferred: {code}: {message} (connection {ctx.conn_id!r})",
            retry_after=ctx.retry_after,
        )
    return AuthenticationError(
        f"Salesforce refused the login of user {username!r} at {ctx.endpoint} "
        f"(connection {ctx.conn_id!r}): {code}: {message}"
    )


def classify_http(exc: SalesforceError, ctx: CallContext) -> OfficeBridgeError:
    status = int(exc.status)
    code, raw_message = error_parts(exc.content)
    message = _clean(raw_message)
    label = f"{code}: {message}" if code else message or "(no message)"
    where = f"{ctx.what} (connection {ctx.conn_id!r})"
    if status == 401 and code == "INVALID_SESSION_ID":
        return SessionExpiredError(f"{where}: session expired or invalid", retry_after=0.0)
    if status == 401:
        return AuthenticationError(f"{where}: HTTP 401 {label}")
    if status in {429, 503} or code in RETRIABLE_CODES:
        return RetriableError(f"{where}: HTTP {status} {label}", retry_after=ctx.retry_after)
    if status >= 500:
        if ctx.idempotent:
            return RetriableError(f"{where}: HTTP {status} {label}", retry_after=ctx.retry_after)
        return WriteOutcomeUnknownError(f"{where}: HTTP {status} {label}; the server may have applied it")
    return SalesforceRequestError(f"{where}: HTTP {status} {label}", status=status, error_code=code)


def classify_network(exc: requests.RequestException, ctx: CallContext) -> OfficeBridgeError:
    where = f"{ctx.what} (connection {ctx.conn_id!r})"
    reason = _network_reason(exc)
    if isinstance(exc, requests.exceptions.SSLError):
        return TLSVerificationError(
            f"{where}: TLS verification of {ctx.endpoint} failed while trusting {ctx.trusted}: {reason}"
        )
    if isinstance(exc, (requests.exceptions.ConnectTimeout)) or (
        isinstance(exc, requests.exceptions.ConnectionError) and _never_connected(exc)
    ):
        return ConnectFailedError(f"{where}: cannot connect to {ctx.endpoint}: {reason}")
    if isinstance(exc, (requests.exceptions.Timeout, requests.exceptions.ConnectionError)):
        if ctx.idempotent:
            return RetriableError(f"{where}: {type(exc).__name__}: {reason}")
        return WriteOutcomeUnknownError(
            f"{where}: {type(exc).__name__} after the request was sent ({reason}); "
            "the server may have applied it"
        )
    if isinstance(exc, requests.exceptions.JSONDecodeError):
        return RemoteProtocolError(f"{where}: the answer is not JSON")
    return RemoteProtocolError(f"{where}: {type(exc).__name__}: {reason}")


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the request cannot have reached the server (refused, DNS, no route)."""
    text = repr(exc.args)
    return any(
        marker in text
        for marker in ("NewConnectionError", "NameResolutionError", "Connection refused", "No route to host")
    )
