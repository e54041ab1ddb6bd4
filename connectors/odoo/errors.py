"""Classify every failure of an Odoo call, in one place.

The engine reacts to officebridge's error classes, never to HTTP statuses or
Odoo exception names, so this module is the only place that knows them:
HTTP 429/502/503/504, timeouts and dropped connections are transient; Odoo's
code-100 answer means the session expired (log in again); AccessDenied means
the credentials are wrong; a refused connection or an unknown host means the
server is unreachable (retried, then fatal); Odoo's record-level exceptions
(ValidationError, UserError, ValueError, MissingError, ...) concern the records
of one call and become per-operation failures.
"""

from __future__ import annotations

import http.client
import socket
import urllib.error
from email.message import Message
from typing import Any

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
# Odoo exceptions that concern the records sent, not the connection or the server.
RECORD_LEVEL = frozenset(
    {
        "odoo.exceptions.ValidationError",
        "odoo.exceptions.UserError",
        "odoo.exceptions.MissingError",
        "odoo.exceptions.AccessError",
        "odoo.exceptions.RedirectWarning",
        "builtins.ValueError",
        "builtins.TypeError",
        "builtins.KeyError",
        "psycopg2.IntegrityError",
        "psycopg2.errors.NotNullViolation",
    }
)


class UnreachableRetry(RetriableError):
    """The host did not accept a connection; retried, then reported as UnreachableError."""


class OdooRecordError(RecordError):
    """Odoo rejected the records of one call; `code` is the exception's short name."""

    def __init__(self, name: str, message: str) -> None:
        self.odoo_name = name
        super().__init__(message, stage="write", code=name.rsplit(".", 1)[-1])


def outcome_unknown(exc: BaseException) -> bool:
    """True when the request may have been processed although no answer came back.

    429 and 503 are refusals before any work; a timeout, a dropped connection or
    a 502/504 from a proxy say nothing about whether Odoo committed.
    """
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code in (502, 504)
    if isinstance(exc, urllib.error.URLError):
        return isinstance(exc.reason, TimeoutError | socket.timeout)
    return isinstance(exc, TimeoutError | socket.timeout | ConnectionError | http.client.HTTPException)


def _retry_after(headers: Message | None) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP date: let the backoff decide


def classify(exc: BaseException, what: str) -> OfficeBridgeError:  # noqa: PLR0911 - one branch per failure kind, kept in one place on purpose
    """The officebridge error for a failure of `what` (e.g. "res.partner.create")."""
    if isinstance(exc, OfficeBridgeError):
        return exc
    if isinstance(exc, urllib.error.HTTPError):
        return _http(exc, what)
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        if isinstance(reason, TimeoutError | socket.timeout):
            return RetriableError(f"Odoo {what}: timed out")
        if isinstance(reason, socket.gaierror):
            return UnreachableRetry(f"Odoo {what}: host name not resolved ({reason.strerror})")
        if isinstance(reason, ConnectionRefusedError | OSError):
            return UnreachableRetry(f"Odoo {what}: connection failed ({reason})")
        return UnreachableRetry(f"Odoo {what}: {reason}")
    if isinstance(exc, TimeoutError | socket.timeout):
        return RetriableError(f"Odoo {what}: timed out")
    if isinstance(exc, ConnectionError | http.client.HTTPException):
        return RetriableError(f"Odoo {what}: connection dropped ({type(exc).__name__})")
    if _is_rpc_error(exc):
        return _rpc(exc, what)
    if isinstance(exc, ValueError):  # json decoding of a non-JSON answer
        return RemoteProtocolError(f"Odoo {what}: unreadable answer ({redact(str(exc))})")
    return RemoteProtocolError(f"Odoo {what}: unexpected failure {type(exc).__name__}: {redact(str(exc))}")


def _http(exc: urllib.error.HTTPError, what: str) -> OfficeBridgeError:
    if exc.code in RETRIABLE_STATUSES:
        return RetriableError(f"Odoo {what}: HTTP {exc.code}", retry_after=_retry_after(exc.headers))
    if exc.code in (401, 403):
        return AuthenticationError(f"Odoo {what}: HTTP {exc.code} (refused by the server or a proxy)")
    return RemoteProtocolError(f"Odoo {what}: HTTP {exc.code} {exc.reason}")


def _is_rpc_error(exc: BaseException) -> bool:
    return type(exc).__name__ == "RPCError" and type(exc).__module__.startswith("odoorpc")


def _rpc(exc: Any, what: str) -> OfficeBridgeError:
    info = exc.info if isinstance(getattr(exc, "info", None), dict) else {}
    data = info.get("data") or {}
    name = str(data.get("name") or "")
    message = redact(str(data.get("message") or exc))
    if info.get("code") == 100 or name.endswith("SessionExpiredException"):
        return SessionExpiredError(f"Odoo {what}: session expired")
    if name == "odoo.exceptions.AccessDenied" or message == "Wrong login ID or password":
        return AuthenticationError(f"Odoo {what}: access denied (wrong login, password or API key)")
    if "OperationalError" in name and "does not exist" in message:
        return ConfigError(f"Odoo {what}: database does not exist on the server ({message.splitlines()[0]})")
    if name in RECORD_LEVEL:
        return OdooRecordError(name, message)
    return RemoteProtocolError(f"Odoo {what}: server error {name or 'unknown'}: {message}")
