"""Turning zenpy's and requests' failures into officebridge's error classes, in one place.

- 401 -> `AuthenticationError` (an OAuth token Zendesk calls invalid or expired cannot be
  refreshed by us, so it is fatal too, with a message saying so);
- 429 (zenpy waits out Retry-After itself, within `rate_limit_budget`; what reaches us is
  a 429 without Retry-After, or a spent budget) -> `RetriableError` with the wait;
- 5xx, read timeouts, dropped connections -> `RetriableError` when the call is idempotent,
  else `OutcomeUnknownError` (the server may have acted: never resend blindly);
- a connection that could not be opened -> `ConnectFailedError` (then `UnreachableError`);
- a certificate that does not verify -> `TLSVerificationError` (never retried);
- other 4xx -> `ZendeskRequestError` with Zendesk's `error` code and description.

Messages go through `redact`; zenpy's own messages hold the response body, never credentials.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import requests
from zenpy.lib.exception import APIException, RatelimitBudgetExceeded, ZenpyException

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

_MAX = 400


class ConnectFailedError(RetriableError):
    """No connection could be opened; retried, then reported as UnreachableError."""


class ZendeskRequestError(FatalError):
    """Zendesk refused a request (4xx); the same request will not succeed later."""

    def __init__(self, message: str, *, status: int, code: str | None, details: Any = None) -> None:
        self.status = status
        self.code = code
        self.details = details
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class CallContext:
    what: str
    conn_id: str
    endpoint: str
    idempotent: bool = True
    retry_after: float | None = None
    trusted: str = "the default CA bundle"


def body_parts(text: str) -> tuple[str | None, str, Any]:
    """(error code, description, details) from a Zendesk error body, JSON or not."""
    try:
        body = json.loads(text)
    except ValueError:
        return None, " ".join(text.split())[:_MAX], None
    if not isinstance(body, dict):
        return None, str(body)[:_MAX], None
    code = body.get("error")
    description = body.get("description") or body.get("error_description") or ""
    return (str(code) if code else None), str(description), body.get("details")


def _status(exc: BaseException) -> tuple[int | None, str]:
    response = getattr(exc, "response", None)
    if response is None:
        return None, str(exc)
    return int(response.status_code), response.text if isinstance(exc, requests.HTTPError) else str(exc)


def classify(exc: BaseException, ctx: CallContext) -> OfficeBridgeError:  # noqa: PLR0911 - one branch per failure kind, kept in one place on purpose
    where = f"Zendesk {ctx.what} (connection {ctx.conn_id!r})"
    if isinstance(exc, RatelimitBudgetExceeded):
        return RetriableError(f"{where}: rate limited longer than the connection's budget", ctx.retry_after)
    if isinstance(exc, requests.exceptions.SSLError):
        return TLSVerificationError(
            f"{where}: TLS verification of {ctx.endpoint} failed (trusting {ctx.trusted})"
        )
    if isinstance(exc, requests.exceptions.ConnectTimeout) or (
        isinstance(exc, requests.exceptions.ConnectionError) and _never_connected(exc)
    ):
        return ConnectFailedError(f"{where}: cannot connect to {ctx.endpoint}")
    if isinstance(exc, requests.exceptions.Timeout | requests.exceptions.ConnectionError):
        if ctx.idempotent:
            return RetriableError(f"{where}: {type(exc).__name__} (no answer)")
        return OutcomeUnknownError(f"{where}: {type(exc).__name__} after sending; it may have been applied")
    if isinstance(exc, APIException | requests.HTTPError):
        status, text = _status(exc)
        return _classify_status(status or 0, text, ctx, where)
    if isinstance(exc, ZenpyException | ValueError):
        return RemoteProtocolError(f"{where}: {redact(str(exc))[:_MAX]}")
    return RemoteProtocolError(f"{where}: {type(exc).__name__}")


def _classify_status(status: int, text: str, ctx: CallContext, where: str) -> OfficeBridgeError:
    code, description, details = body_parts(text)
    label = redact(f"{code}: {description}" if code and description else code or description or "(no body)")
    if status == 401:
        if code == "invalid_token":
            return AuthenticationError(f"{where}: the OAuth token is expired or revoked; issue a new one")
        return AuthenticationError(f"{where}: HTTP 401 {label}")
    if status == 429:
        return RetriableError(f"{where}: HTTP 429 {label}", retry_after=ctx.retry_after)
    if status >= 500:
        if ctx.idempotent:
            return RetriableError(f"{where}: HTTP {status}", retry_after=ctx.retry_after)
        return OutcomeUnknownError(f"{where}: HTTP {status}; the server may have applied it")
    return ZendeskRequestError(f"{where}: HTTP {status} {label}", status=status, code=code, details=details)


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    text = repr(exc.args)
    return any(m in text for m in ("NewConnectionError", "NameResolutionError", "Connection refused"))
