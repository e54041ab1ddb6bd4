"""Classify every failure of an Odoo call, in one place.

The engine reacts to officebridge's error classes, never to HTTP statuses or
Odoo exception names, so this module is the only place that knows them:
HTTP 429/502/503/504, timeouts and dropped connections are transient; Odoo's
code-100 answer means the session expired (log in again); AccessDenied means
the credentials are wrong; a refused connection or an unknown host means the
server is unreachable (retried, then fatal); Odoo's record-level exceptions
(ValidationError, UserError, ValueError, MissingError, ...) concern the records
of one call and become per-operation failures. An answer that is not JSON-RPC
(an HTML page, a redirect) or not of the shape its method promises (`check_shape`)
is a `RemoteProtocolError` naming the call; for a create it means the outcome is
unknown, since the request was sent.
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

RETRIABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# what each method answers when all is well; anything else is a protocol error
LIST_METHODS = frozenset({"search_read", "read", "search", "name_search", "name_get"})
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
    """True when the request may have been processed although no usable answer came back.

    429 is a refusal before any work. Any 5xx or 3xx comes from something in front
    of Odoo (Odoo answers its own errors with 200) and says nothing about whether
    the worker behind it committed; nor do a timeout, a dropped connection or an
    answer we cannot read.
    """
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code >= 500 or 300 <= exc.code < 400
    if isinstance(exc, urllib.error.URLError):
        return isinstance(exc.reason, TimeoutError | socket.timeout)
    if isinstance(exc, RemoteProtocolError):
        return True
    if isinstance(exc, OfficeBridgeError):
        return False
    return isinstance(
        exc, TimeoutError | socket.timeout | ConnectionError | http.client.HTTPException | ValueError
    )


def check_shape(result: Any, what: str, args: list[Any]) -> Any:
    """`result` when it has the shape `what` (model.method) promises, else RemoteProtocolError.

    Checked before anyone uses the answer, so a wrong-shaped one can never be
    half-applied to our state (zip over fewer ids, a dict taken for rows).
    """
    method = what.split(" ", 1)[0].rsplit(".", 1)[-1]
    problem = None
    if method in LIST_METHODS and not isinstance(result, list):
        problem = f"{type(result).__name__} instead of a list"
    elif method in ("search_read", "read") and not all(isinstance(r, dict) and "id" in r for r in result):
        problem = "rows without ids"
    elif method == "create" and args and isinstance(args[0], list):
        if not isinstance(result, list) or not all(isinstance(i, int) for i in result):
            problem = f"{type(result).__name__} instead of a list of ids"
        elif len(result) != len(args[0]):
            problem = f"{len(result)} ids for {len(args[0])} records sent"
    elif method == "fields_get" and not isinstance(result, dict):
        problem = f"{type(result).__name__} instead of a field map"
    if problem is not None:
        raise RemoteProtocolError(f"Odoo {what}: answer of the wrong shape ({problem})")
    return result


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
    if isinstance(exc, ValueError):  # json decoding of a non-JSON answer (an HTML page, a login form)
        return RemoteProtocolError(f"Odoo {what}: the answer is not JSON-RPC ({redact(str(exc))[:200]})")
    return RemoteProtocolError(f"Odoo {what}: unexpected failure {type(exc).__name__}: {redact(str(exc))}")


def _http(exc: urllib.error.HTTPError, what: str) -> OfficeBridgeError:
    if exc.code in RETRIABLE_STATUSES:
        return RetriableError(f"Odoo {what}: HTTP {exc.code}", retry_after=_retry_after(exc.headers))
    if exc.code in (401, 403):
        return AuthenticationError(f"Odoo {what}: HTTP {exc.code} (refused by the server or a proxy)")
    if 300 <= exc.code < 400:
        where = exc.headers.get("Location") if exc.headers is not None else None
        return RemoteProtocolError(f"Odoo {what}: redirected (HTTP {exc.code} to {where or 'nowhere'})")
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
