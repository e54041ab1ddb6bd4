"""The in-memory reference connector: the contract, with nothing system-specific in the way.

It talks to a `MemorySystem` only through its wire methods, which fail the
way a remote service fails (status codes, drops, timeouts, expired
sessions); this module classifies those failures in one place (`_classify`)
and retries them with `retry_call`, as a real connector does. A write whose
answer was lost is reported UNKNOWN, never resent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from officebridge.connections import Connection
from officebridge.connector import (
    ConnectorManifest,
    ObjectInfo,
    OpKind,
    Page,
    ReadRequest,
    SourceRecord,
    WriteOp,
    WriteResult,
    invalid_op,
)
from officebridge.errors import (
    AuthenticationError,
    ConfigError,
    OutcomeUnknownError,
    RemoteProtocolError,
    RetriableError,
    SessionExpiredError,
    UnreachableError,
)
from officebridge.retry import DEFAULT_POLICY, RetryPolicy, retry_call
from officebridge.testing.memory.manifest import MANIFEST
from officebridge.testing.memory.settings import MemorySettings
from officebridge.testing.memory.system import MemorySystem, find_system
from officebridge.testing.memory.wire import (
    BadRequest,
    Dropped,
    LoginRefused,
    NoSuchField,
    NoSuchObject,
    Refused,
    SessionInvalid,
    StatusError,
    TimedOut,
    TransportError,
)

T = TypeVar("T")
log = logging.getLogger(__name__)
CHUNK = 200  # ids or values per fetch / lookup request
_SAFE_WRITE_STATUS = (429, 503)  # refused before being processed: a write may be sent again


class _Unreachable(RetriableError):
    """Nothing answered at the address; retried, then raised as UnreachableError."""


class MemoryConnector:
    """Connector for a `MemorySystem` addressed by the connection's host and schema."""

    manifest: ClassVar[ConnectorManifest] = MANIFEST

    def __init__(self, connection: Connection, *, retry_policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self.settings = MemorySettings.from_connection(connection)
        self.policy = retry_policy
        self._token: str | None = None
        self.logins = 0

    # --- transport ---------------------------------------------------------------------

    @property
    def _where(self) -> str:
        s = self.settings
        return f"memory system {s.host}/{s.schema} (connection {s.conn_id!r})"

    def _system(self) -> MemorySystem:
        found = find_system(self.settings.host, self.settings.schema)
        if found is None or not found.running:
            raise _Unreachable(f"{self._where}: connection refused")
        return found

    def _login(self) -> str:
        if self._token is None:
            s = self.settings
            log.debug("logging in to %s as %s", self._where, s.login)
            self._token = self._system().login(s.login, s.password.reveal(), s.timeout)
            self.logins += 1
        return self._token

    def _classify(self, exc: TransportError, *, write: bool) -> Exception:
        """The one place where a wire failure becomes an officebridge error."""
        where = self._where
        if isinstance(exc, StatusError | Dropped | TimedOut):
            return _transient(where, exc, write=write)
        if isinstance(exc, SessionInvalid):
            self._token = None
            return SessionExpiredError(f"{where}: session expired; logging in again")
        if isinstance(exc, LoginRefused):
            return AuthenticationError(f"{where} refused the login of {self.settings.login!r}: {exc}")
        if isinstance(exc, Refused):
            return _Unreachable(f"{where}: {exc}")
        if isinstance(exc, NoSuchObject | NoSuchField | BadRequest):
            return ConfigError(f"{where}: {exc}")
        return RemoteProtocolError(f"{where}: {exc}")

    def _request(self, what: str, send: Callable[[MemorySystem, str], T], *, write: bool = False) -> T:
        def attempt() -> T:
            try:
                return send(self._system(), self._login())
            except TransportError as exc:
                raise self._classify(exc, write=write) from None

        try:
            return retry_call(attempt, policy=self.policy, what=f"{what} on {self._where}")
        except _Unreachable as exc:
            raise UnreachableError(str(exc)) from None

    # --- the contract ------------------------------------------------------------------

    def check(self) -> None:
        self._request("ping", lambda sys, tok: sys.ping(tok, self.settings.timeout))

    def describe(self, object_name: str) -> ObjectInfo:
        info: ObjectInfo = self._request(
            "describe", lambda sys, tok: sys.describe(tok, object_name, self.settings.timeout)
        )
        return info

    def read(self, request: ReadRequest) -> Iterator[Page]:
        since = request.since
        if since is not None and not isinstance(since, datetime):
            raise ConfigError(f"{self._where}: the memory cursor is a timestamp, not a token ({since!r})")
        query: dict[str, Any] = {
            "fields": list(request.fields),
            "cursor": request.cursor or MANIFEST.capabilities.default_cursor,
            "since": _aware(since),
            "until": _aware(request.until),
            "after": None,
            "filter": request.filter,
            "include_deleted": request.include_deleted,
            "limit": max(1, request.batch_size),
        }
        while True:
            rows = self._request(
                "read",
                lambda sys, tok: sys.read_page(tok, request.object, dict(query), self.settings.timeout),
            )
            if rows:
                yield Page([SourceRecord(i, c, d, f) for i, c, d, f in rows])
            if len(rows) < query["limit"]:
                return
            query["after"] = (rows[-1][1], rows[-1][0])

    def fetch(self, object_name: str, fields: Sequence[str], ids: Sequence[str]) -> list[SourceRecord]:
        found: list[SourceRecord] = []
        for start in range(0, len(ids), CHUNK):
            found += self._fetch_chunk(object_name, list(fields), list(ids[start : start + CHUNK]))
        return found

    def _fetch_chunk(self, object_name: str, fields: list[str], ids: list[str]) -> list[SourceRecord]:
        timeout = self.settings.timeout
        rows = self._request("fetch", lambda sys, tok: sys.fetch(tok, object_name, fields, ids, timeout))
        return [SourceRecord(i, c, d, f) for i, c, d, f in rows]

    def lookup(self, object_name: str, field_name: str, values: Sequence[Any]) -> dict[Any, str]:
        wanted = list(dict.fromkeys(v for v in values if v not in (None, "")))
        found: dict[Any, str] = {}
        for start in range(0, len(wanted), CHUNK):
            found |= self._lookup_chunk(object_name, field_name, wanted[start : start + CHUNK])
        return found

    def _lookup_chunk(self, object_name: str, field_name: str, values: list[Any]) -> dict[Any, str]:
        timeout = self.settings.timeout
        return self._request(
            "lookup", lambda sys, tok: sys.lookup(tok, object_name, field_name, values, timeout)
        )

    def has_values(self, object_name: str, field_name: str) -> bool:
        """Whether any record holds a value in this field (optional in the contract: see the Planner)."""
        timeout = self.settings.timeout

        def send(system: MemorySystem, token: str) -> bool:
            return system.has_values(token, object_name, field_name, timeout)

        return bool(self._request("has_values", send))

    def write(self, object_name: str, ops: Sequence[WriteOp]) -> list[WriteResult]:
        """One request per kind and chunk; results back in the order of `ops`."""
        results: dict[int, WriteResult] = {}
        todo: dict[OpKind, list[int]] = {}
        for n, op in enumerate(ops):
            refused = invalid_op(op, MANIFEST.capabilities, object_name)
            if refused is not None:
                results[n] = refused
            else:
                todo.setdefault(op.kind, []).append(n)
        size = MANIFEST.capabilities.max_write_batch
        for kind, numbers in todo.items():
            for start in range(0, len(numbers), size):
                chunk = numbers[start : start + size]
                results |= dict(
                    zip(chunk, self._write_chunk(object_name, kind, [ops[n] for n in chunk]), strict=True)
                )
        return [results[n] for n in range(len(ops))]

    def _write_chunk(self, object_name: str, kind: OpKind, ops: list[WriteOp]) -> list[WriteResult]:
        payload = [{"values": op.values, "target_id": op.target_id, "key_field": op.key_field} for op in ops]
        try:
            answers = self._request(
                "write",
                lambda sys, tok: sys.write(tok, object_name, kind.value, payload, self.settings.timeout),
                write=True,
            )
        except OutcomeUnknownError as exc:
            return [WriteResult.unknown(op, str(exc)) for op in ops]
        return [
            WriteResult.success(op, a["id"], created=a["created"])
            if a["ok"]
            else WriteResult.failure(op, a["code"], a["message"], fields=tuple(a["fields"]))
            for op, a in zip(ops, answers, strict=True)
        ]

    def close(self) -> None:
        self._token = None


def _transient(where: str, exc: TransportError, *, write: bool) -> Exception:
    """Status codes, drops and timeouts: retried, unless a write may have landed (then UNKNOWN)."""
    safe = isinstance(exc, StatusError) and exc.status in _SAFE_WRITE_STATUS
    if write and not safe:
        return OutcomeUnknownError(f"{where}: {exc}; the write may have landed")
    if isinstance(exc, StatusError) and exc.status != 429 and exc.status < 500:
        return RemoteProtocolError(f"{where}: {exc}")
    retry_after = exc.retry_after if isinstance(exc, StatusError) else None
    return RetriableError(f"{where}: {exc}", retry_after=retry_after)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
