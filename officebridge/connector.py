"""The contract between the engine and a connector plug-in.

A connector knows one remote system and nothing about mappings. The engine
talks to it only through `Connector`; plug-ins are found through the
`officebridge.connectors` entry-point group, so built-ins register exactly as a
third-party connector would. Partial failure of a write batch is normal and is
reported per operation in `WriteResult`, never as an exception.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import entry_points
from typing import Any, ClassVar, Protocol, runtime_checkable

from officebridge.connections import Connection
from officebridge.errors import UnknownConnectorError

ENTRY_POINT_GROUP = "officebridge.connectors"
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One record as read from a source system.

    `cursor` is the record's change stamp (timezone-aware UTC datetime), used
    for the watermark. `deleted` is true for records deleted (or archived) at
    the source. `fields` holds plain JSON-able values keyed by field name.
    """

    id: str
    cursor: datetime | None
    deleted: bool
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """What `describe` knows about one field, in system-neutral terms."""

    name: str
    type: str  # the system's own type name (string, picklist, many2one, ...)
    label: str = ""
    required: bool = False  # must be given on create
    readonly: bool = False  # cannot be written
    length: int | None = None
    choices: tuple[str, ...] = ()  # picklist / selection values
    reference_to: tuple[str, ...] = ()  # referenced object(s)
    external_id: bool = False  # usable as an upsert key


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    name: str
    label: str
    fields: dict[str, FieldInfo]


class OpKind(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UPSERT = "upsert"  # by `WriteOp.key_field` (an external-id field)
    ARCHIVE = "archive"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class WriteOp:
    """One operation of a write batch.

    `ref` is the caller's correlation key (the source id); results come back in
    the same order and carry it. `target_id` is required for update, archive
    and delete. For upsert, `key_field` names the external-id field whose
    value is in `values`.
    """

    kind: OpKind
    ref: str
    values: dict[str, Any] = field(default_factory=dict)
    target_id: str | None = None
    key_field: str | None = None


@dataclass(frozen=True, slots=True)
class WriteResult:
    """The outcome of one `WriteOp`. On failure `error_code` and `message` say why."""

    ref: str
    ok: bool
    target_id: str | None = None
    created: bool = False
    error_code: str | None = None
    message: str | None = None
    fields: tuple[str, ...] = ()


@runtime_checkable
class Connector(Protocol):
    """What every connector offers the engine.

    Batching, paging, rate limits, retries on transient faults and the
    system's error codes all live behind this surface. Transient failures
    that survive the connector's own retries raise `RetriableError`; refused
    credentials raise `AuthenticationError`; an unreachable host raises
    `UnreachableError`.
    """

    system: ClassVar[str]
    cursor_field: ClassVar[str]  # default change-stamp field (SystemModstamp, write_date)
    max_write_batch: ClassVar[int]

    def check(self) -> None:
        """Log in and make one cheap call; raise if the system is not usable."""

    def describe(self, object_name: str) -> ObjectInfo: ...

    def read(
        self,
        object_name: str,
        fields: Sequence[str],
        *,
        since: datetime | None = None,
        where: Any = None,  # native filter: a SOQL WHERE fragment, an Odoo domain list, ...
        include_deleted: bool = False,
        batch_size: int = 2000,
    ) -> Iterator[list[SourceRecord]]:
        """Yield batches ordered by (cursor, id), with cursor >= since (inclusive)."""

    def fetch(self, object_name: str, fields: Sequence[str], ids: Sequence[str]) -> list[SourceRecord]:
        """Read the given records again by id (deleted or archived ones included), for replay."""

    def lookup(self, object_name: str, field_name: str, values: Sequence[Any]) -> dict[Any, str]:
        """Map each found value of `field_name` to the id of a record holding it."""

    def write(self, object_name: str, ops: Sequence[WriteOp]) -> list[WriteResult]:
        """Apply the operations in batches; one result per op, in order."""

    def close(self) -> None: ...


class ConnectorFactory(Protocol):
    def __call__(self, connection: Connection) -> Connector: ...


def available_connectors() -> dict[str, ConnectorFactory]:
    """All installed connector plug-ins by system name.

    A plug-in that fails to import is logged and skipped: one broken
    third-party connector must not take the others down.
    """
    found: dict[str, ConnectorFactory] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            found[ep.name] = ep.load()
        except Exception as exc:
            log.warning("connector plug-in %r failed to load: %s", ep.name, exc)
    return found


def known_systems() -> list[str]:
    """Names of registered connectors, without importing them."""
    return sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))


def open_connector(system: str, connection: Connection) -> Connector:
    eps = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    if system not in eps:
        raise UnknownConnectorError(system, list(eps))
    factory: ConnectorFactory = eps[system].load()
    return factory(connection)
