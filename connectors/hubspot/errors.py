"""Turn every HubSpot failure into one officebridge error class, in one place.

- 401 -> `AuthenticationError` (private app tokens do not refresh; EXPIRED_AUTHENTICATION
  says the token expired or was revoked); 403 (missing scopes) too;
- 429 -> `RetriableError` with the Retry-After the answer gives (else the policy's window:
  1 s for SECONDLY, 10 s for TEN_SECONDLY_ROLLING); the DAILY policy is fatal, as waiting
  for midnight is not a retry;
- 5xx, a dropped connection or a read timeout -> `RetriableError` for idempotent calls
  (reads, search, update, upsert, archive); for a create the server may have acted:
  `OutcomeUnknownError`, which the write turns into UNKNOWN results;
- a connection that could not be opened -> `ConnectFailedError` (retried, then unreachable);
- a certificate that does not verify -> `TLSVerificationError` (never retried);
- any other 4xx -> `HubSpotRequestError` carrying HubSpot's category and message.

Messages never carry the token: they are built from the answer's category and
message only, and pass through `redact`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import urllib3.exceptions

from officebridge.errors import (
    AuthenticationError,
    FatalError,
    OfficeBridgeError,
    OutcomeUnknownError,
    RemoteProtocolError,
    RetriableError,
    TLSVerificationError,
)
from officebridge.secrets import redact

POLICY_WINDOW = {"SECONDLY": 1.0, "TEN_SECONDLY_ROLLING": 10.0}
_MAX_DETAIL = 500


class ConnectFailedError(RetriableError):
    """No connection could be opened; retried, then reported as UnreachableError."""


class HubSpotRequestError(FatalError):
    """HubSpot refused a request (4xx); the same request will not succeed."""

    def __init__(self, message: str, *, status: int, category: str | None, body: dict[str, Any]) -> None:
        self.status = status
        self.category = category
        self.body = body
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class CallContext:
    what: str  # e.g. "search contacts", for messages
    conn_id: str
    idempotent: bool = True


def parse_body(raw: Any) -> dict[str, Any]:
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        return {"message": " ".join(str(raw).split())[:200]}
    return body if isinstance(body, dict) else {"message": str(body)[:200]}


def _clean(text: str) -> str:
    return redact(" ".join(text.split()))[:_MAX_DETAIL]


def _retry_after(headers: Any, policy: str | None) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    if value is not None:
        try:
            return float(value)
        except ValueError:
            pass
    return POLICY_WINDOW.get(policy or "")


def _auth_reason(status: int, category: Any) -> str:
    if status == 403:
        return "the token lacks a scope this call needs"
    if category == "EXPIRED_AUTHENTICATION":
        return "the access token expired or was revoked"
    return "the access token was refused"


def classify_status(status: int, raw_body: Any, headers: Any, ctx: CallContext) -> OfficeBridgeError:
    body = parse_body(raw_body)
    category = body.get("category") or body.get("errorType")
    message = _clean(str(body.get("message") or ""))
    where = f"HubSpot {ctx.what} (connection {ctx.conn_id!r})"
    label = f"HTTP {status} {category}: {message}" if category else f"HTTP {status} {message}".rstrip()
    if status in (401, 403):
        return AuthenticationError(f"{where}: {_auth_reason(status, category)} ({label})")
    if status == 429:
        policy = body.get("policyName")
        if policy == "DAILY":
            return FatalError(f"{where}: the portal's daily API limit is used up ({label})")
        return RetriableError(f"{where}: {label}", retry_after=_retry_after(headers, policy))
    if status >= 500:
        if ctx.idempotent:
            return RetriableError(f"{where}: {label}", retry_after=_retry_after(headers, None))
        return OutcomeUnknownError(f"{where}: {label}; HubSpot may have applied it")
    return HubSpotRequestError(f"{where}: {label}", status=status, category=category, body=body)


def classify_network(exc: Exception, ctx: CallContext) -> OfficeBridgeError:
    """urllib3 errors (the client does not wrap them when its retries give up)."""
    where = f"HubSpot {ctx.what} (connection {ctx.conn_id!r})"
    reason: BaseException = (
        exc.reason if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason else exc
    )
    text = _clean(str(reason))
    if isinstance(reason, urllib3.exceptions.SSLError):
        return TLSVerificationError(f"{where}: TLS verification failed: {text}")
    if isinstance(
        reason,
        (
            urllib3.exceptions.NewConnectionError,
            urllib3.exceptions.ConnectTimeoutError,
            urllib3.exceptions.NameResolutionError,
        ),
    ):
        return ConnectFailedError(f"{where}: cannot connect: {text}")
    if isinstance(
        reason,
        (
            urllib3.exceptions.ProtocolError,
            urllib3.exceptions.ReadTimeoutError,
            urllib3.exceptions.TimeoutError,
            ConnectionError,
        ),
    ):
        if ctx.idempotent:
            return RetriableError(f"{where}: {type(reason).__name__}: {text}")
        return OutcomeUnknownError(
            f"{where}: {type(reason).__name__} after the request was sent; HubSpot may have applied it"
        )
    return RemoteProtocolError(f"{where}: {type(reason).__name__}: {text}")
