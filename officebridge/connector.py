"""The contract between the engine and a connector plug-in (contract v2).

A connector knows one remote system and nothing about mappings. It is
published as a `ConnectorManifest` under the `officebridge.connectors`
entry-point group. The manifest is light (no client library is imported to
read it), so mapping checks and Airflow's DAG parsing can learn a system's
capabilities, connection contract and wire formats without loading the
client; `ConnectorManifest.open` imports the connector itself only when a run
needs it. Built-ins register exactly as a third-party connector would.

What a connector promises (`officebridge.testing` generates the tests):

- `read` yields `Page`s ordered by (cursor, id) with cursor >= since; a
  timestamp cursor is inclusive, a token cursor resumes after the token.
- `write` returns one `WriteResult` per `WriteOp`, in order. Partial failure
  is normal: a refused record is a FAILED result, never an exception. A write
  that may or may not have landed is an UNKNOWN result for exactly the
  operations that were sent, never an exception that drags unsent ones along.
  Operations are validated by the engine (`invalid_op`) before they reach
  the connector.
- Transient faults that survive the connector's own retries raise
  `RetriableError`; refused credentials `AuthenticationError`; an unreachable
  host `UnreachableError`; settings problems one `ConfigError` naming all.
"""

from __future__ import annotations

import enum
import importlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from importlib.metadata import entry_points
from typing import Any, ClassVar, Protocol, runtime_checkable

from officebridge.connections import Connection
from officebridge.errors import ConfigError, UnknownConnectorError

ENTRY_POINT_GROUP = "officebridge.connectors"
log = logging.getLogger(__name__)

Watermark = datetime | str  # a change stamp (aware UTC datetime) or an opaque resume token


# --- fields ----------------------------------------------------------------


class FieldKind(enum.StrEnum):
    """What a field holds, in system-neutral terms (the native type stays in `FieldInfo.type`)."""

    STRING = "string"  # short text
    TEXT = "text"  # long text
    INTEGER = "integer"
    DECIMAL = "decimal"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    PICKLIST = "picklist"  # one of `choices`
    MULTI_PICKLIST = "multi-picklist"  # several of `choices`, in the system's own encoding
    REFERENCE = "reference"  # the id of one record of `reference_to`
    MULTI_REFERENCE = "multi-reference"  # ids of several records of `reference_to`
    ID = "id"  # the record's own id
    OTHER = "other"  # binary, JSON, anything the engine should pass through untouched


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """What `describe` knows about one field."""

    name: str
    type: str  # the system's own type name (string, picklist, many2one, ...)
    kind: FieldKind = FieldKind.OTHER
    label: str = ""
    required: bool = False  # must be given on create
    readonly: bool = False  # cannot be written
    length: int | None = None
    choices: tuple[str, ...] = ()  # picklist / selection values
    reference_to: tuple[str, ...] = ()  # referenced object(s)
    external_id: bool = False  # usable as an upsert key
    format: str | None = None  # JSON Schema format the values follow: email, uri, ...
    pattern: str | None = None  # a regex every value matches (e.g. the system's id syntax)
    relationship: str | None = None  # for a reference: the name a dotted path steps through, if not `name`


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    name: str
    label: str
    fields: dict[str, FieldInfo]


# --- reading ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One record as read from a source system.

    `cursor` is the record's change stamp (timezone-aware UTC) for timestamp
    cursors, None for token cursors. `deleted` is true for records deleted
    (or archived) at the source. `fields` holds plain JSON-able values.
    """

    id: str
    cursor: datetime | None
    deleted: bool
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ReadRequest:
    """What to read. `cursor` names the change-stamp field (None: the connector's default)."""

    object: str
    fields: tuple[str, ...]
    since: Watermark | None = None
    until: datetime | None = None  # exclusive upper bound, timestamp cursors only (partitions)
    cursor: str | None = None
    filter: Any = None  # native, valid against `Capabilities.filter_schema`
    include_deleted: bool = False
    batch_size: int = 2000

    def holds(self, stamp: datetime | None) -> bool:
        """Whether a record with this change stamp lies inside [since, until)."""
        if stamp is None:
            return True
        low = self.since if isinstance(self.since, datetime) else None
        return (low is None or stamp >= low) and (self.until is None or stamp < self.until)

    def whole_seconds(self) -> tuple[datetime | None, datetime | None]:
        """`since` floored and `until` ceiled to whole seconds, for query languages that keep no
        fractions: a superset of the window; the connector then keeps what `holds`."""
        low = self.since.replace(microsecond=0) if isinstance(self.since, datetime) else None
        high = self.until
        if high is not None and high.microsecond:
            high = high.replace(microsecond=0) + timedelta(seconds=1)
        return low, high


@dataclass(frozen=True, slots=True)
class Page:
    """One batch of a read. `resume` is the token to store as the watermark after it (token cursors)."""

    records: list[SourceRecord]
    resume: str | None = None


# --- writing ---------------------------------------------------------------


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


class WriteStatus(enum.StrEnum):
    OK = "ok"
    FAILED = "failed"  # the system refused it; nothing changed
    UNKNOWN = "unknown"  # sent, but whether it landed is unknown: never resend blindly


# error codes the engine itself gives; connectors pass the system's own codes through
OUTCOME_UNKNOWN = "OUTCOME_UNKNOWN"
MISSING_TARGET_ID = "MISSING_TARGET_ID"
MISSING_KEY_FIELD = "MISSING_KEY_FIELD"
MISSING_KEY_VALUE = "MISSING_KEY_VALUE"
UNSUPPORTED_OPERATION = "UNSUPPORTED_OPERATION"
NO_RESULT = "NO_RESULT"


@dataclass(frozen=True, slots=True)
class WriteResult:
    """The outcome of one `WriteOp`. Unless OK, `error_code` and `message` say why."""

    ref: str
    status: WriteStatus
    target_id: str | None = None
    created: bool = False
    error_code: str | None = None
    message: str | None = None
    fields: tuple[str, ...] = ()  # fields the system named as the cause (or wrote, on success)
    retriable: bool = False  # FAILED for a passing reason (an outage, a stop): not applied, may be resent

    @property
    def ok(self) -> bool:
        return self.status is WriteStatus.OK

    @classmethod
    def success(
        cls, op: WriteOp, target_id: str | None, *, created: bool = False, fields: tuple[str, ...] = ()
    ) -> WriteResult:
        return cls(op.ref, WriteStatus.OK, target_id or op.target_id, created=created, fields=fields)

    @classmethod
    def failure(
        cls,
        op: WriteOp,
        code: str,
        message: str,
        *,
        fields: tuple[str, ...] = (),
        target_id: str | None = None,
        retriable: bool = False,
    ) -> WriteResult:
        return cls(op.ref, WriteStatus.FAILED, target_id or op.target_id, error_code=code, message=message,
                   fields=fields, retriable=retriable)  # fmt: skip

    @classmethod
    def unknown(cls, op: WriteOp, message: str) -> WriteResult:
        return cls(op.ref, WriteStatus.UNKNOWN, op.target_id, error_code=OUTCOME_UNKNOWN, message=message)


# --- what a connector declares -------------------------------------------------


class DeleteVisibility(enum.StrEnum):
    TOMBSTONES = "tombstones"  # read(include_deleted=True) yields deleted records, flagged
    ARCHIVE = "archive"  # only archived records are seen (flagged deleted); hard deletes vanish
    NONE = "none"  # deletions are not visible in reads at all


class CursorKind(enum.StrEnum):
    TIMESTAMP = "timestamp"  # watermark = highest change stamp; reads re-read an overlap window
    TOKEN = "token"  # watermark = the opaque `Page.resume` token of the last committed page


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a system can do, declared once, checked when a mapping loads."""

    operations: frozenset[OpKind]
    deletes: DeleteVisibility
    lookup_consistent: bool  # False: a record just written may not be found by `lookup` yet
    cursor: CursorKind
    cursor_fields: tuple[str, ...]  # fields a mapping may name as `source.cursor`; the first is the default
    filter_schema: Mapping[str, Any] | None  # JSON Schema of the native `source.filter`; None: no filter
    max_write_batch: int
    filter_help: str = ""  # one line for analysts: what a filter looks like
    object_deletes: Mapping[str, DeleteVisibility] = field(default_factory=dict)  # objects that differ
    object_cursor_fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # objects that differ
    # more ops than max_write_batch in one write() call: only for a connector that splits the call
    # into its own requests and answers every op whatever one of them does (None: max_write_batch)
    max_write_call: int | None = None

    @property
    def default_cursor(self) -> str:
        return self.cursor_fields[0]

    @property
    def write_call(self) -> int:
        """The most ops the engine hands one `write()` call (and commits together)."""
        return max(self.max_write_batch, self.max_write_call or 0)

    def cursors_for(self, object_name: str) -> tuple[str, ...]:
        """The change stamps this object can be read by; the first is its default."""
        return self.object_cursor_fields.get(object_name, self.cursor_fields)

    def deletes_for(self, object_name: str) -> DeleteVisibility:
        """How deletions of this object show in reads (some systems differ per object)."""
        return self.object_deletes.get(object_name, self.deletes)


@dataclass(frozen=True, slots=True)
class ConnectionContract:
    """How a system's credentials are found: as an Airflow connection.

    `fields` and `behaviour` are Airflow's `conn-fields` and `ui-field-behaviour`
    of a provider's connection type. `register` is False when another Airflow
    provider already owns the connection type (we must not fight over it).
    """

    default_conn_id: str
    conn_type: str
    hook_name: str
    hook_class: str | None = None  # dotted path of the Airflow hook, when we register the type
    fields: Mapping[str, Any] = field(default_factory=dict)
    behaviour: Mapping[str, Any] = field(default_factory=dict)
    register: bool = True
    example: str = ""  # an AIRFLOW_CONN_* value, for docs and error messages


class WireFormat(Protocol):
    """How a system writes datetimes on the wire (the engine keeps no system's formats)."""

    def parse_datetime(self, value: Any) -> datetime | None:
        """A wire value as a datetime; naive when the system sends no zone and none is implied."""

    def format_datetime(self, moment: datetime) -> Any:
        """An aware datetime as the system expects it in a write."""


@dataclass(frozen=True, slots=True)
class ConnectorManifest:
    """Everything the engine knows about one system before (or without) importing its client."""

    system: str
    label: str
    capabilities: Capabilities
    connection: ConnectionContract
    wire: WireFormat
    factory: str  # "package.module:Class", imported by `open`
    naive_datetimes_are_utc: bool = False  # the system's naive datetimes mean UTC (no `assume` needed)

    def load(self) -> ConnectorFactory:
        module, _, name = self.factory.partition(":")
        factory: ConnectorFactory = getattr(importlib.import_module(module), name)
        return factory

    def open(self, connection: Connection) -> Connector:
        return self.load()(connection)


# --- the connector -------------------------------------------------------------


@runtime_checkable
class Connector(Protocol):
    """What every connector offers the engine (see the module docstring for the promises)."""

    manifest: ClassVar[ConnectorManifest]

    def check(self) -> None:
        """Log in and make one cheap call; raise if the system is not usable."""

    def describe(self, object_name: str) -> ObjectInfo:
        """The object's fields; `ConfigError` when the object does not exist."""

    def read(self, request: ReadRequest) -> Iterator[Page]:
        """Pages ordered by (cursor, id), from `request.since` on."""

    def fetch(self, object_name: str, fields: Sequence[str], ids: Sequence[str]) -> list[SourceRecord]:
        """Read the given records again by id (deleted or archived ones included), for replay."""

    def lookup(self, object_name: str, field_name: str, values: Sequence[Any]) -> dict[Any, str]:
        """Map each found value of `field_name` to the id of a record holding it."""

    def write(self, object_name: str, ops: Sequence[WriteOp]) -> list[WriteResult]:
        """Apply valid operations in batches; one result per op, in order."""

    def close(self) -> None: ...


class ConnectorFactory(Protocol):
    def __call__(self, connection: Connection) -> Connector: ...


def invalid_op(op: WriteOp, capabilities: Capabilities, object_name: str) -> WriteResult | None:
    """Why `op` cannot be sent at all, as a failed result, or None when it can (the one check)."""
    if op.kind not in capabilities.operations:
        return WriteResult.failure(
            op, UNSUPPORTED_OPERATION, f"{op.kind.value} is not supported for {object_name}"
        )
    if op.kind in (OpKind.UPDATE, OpKind.ARCHIVE, OpKind.DELETE) and not op.target_id:
        return WriteResult.failure(
            op, MISSING_TARGET_ID, f"{op.kind.value} of {object_name} record {op.ref!r} has no target id"
        )
    if op.kind is OpKind.UPSERT:
        if not op.key_field:
            return WriteResult.failure(
                op, MISSING_KEY_FIELD, f"upsert of {object_name} record {op.ref!r} names no key field"
            )
        if op.values.get(op.key_field) in (None, ""):
            return WriteResult.failure(
                op,
                MISSING_KEY_VALUE,
                f"upsert of {object_name} record {op.ref!r} has no value for {op.key_field}",
                fields=(op.key_field,),
            )
    return None


# --- finding connectors --------------------------------------------------------


@cache
def manifests() -> dict[str, ConnectorManifest]:
    """All installed connectors by system name (light: no client library is imported).

    A plug-in whose manifest fails to load is logged and skipped: one broken
    third-party connector must not take the others down.
    """
    found: dict[str, ConnectorManifest] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            value = ep.load()
        except Exception as exc:
            log.warning("connector plug-in %r failed to load: %s", ep.name, exc)
            continue
        if not isinstance(value, ConnectorManifest):
            log.warning("connector plug-in %r is not a ConnectorManifest (%s)", ep.name, type(value).__name__)
            continue
        found[ep.name] = value
    return found


def known_systems() -> list[str]:
    """Names of registered connectors, without importing them."""
    return sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))


def manifest(system: str) -> ConnectorManifest:
    found = manifests()
    if system not in found:
        raise UnknownConnectorError(system, known_systems())
    return found[system]


def open_connector(system: str, connection: Connection) -> Connector:
    return manifest(system).open(connection)


def require_kind(info: ObjectInfo, field_name: str, kinds: set[FieldKind], what: str) -> None:
    """Raise `ConfigError` unless `field_name` exists in `info` with one of `kinds`."""
    found = info.fields.get(field_name)
    if found is None:
        raise ConfigError(f"{info.name} has no field {field_name!r} ({what})")
    if found.kind not in kinds:
        wanted = " or ".join(sorted(k.value for k in kinds))
        raise ConfigError(f"{info.name}.{field_name} is a {found.kind.value} field; {what} needs {wanted}")
