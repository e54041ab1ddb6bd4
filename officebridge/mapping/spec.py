"""The typed, read-only form of a mapping file.

The loader turns YAML into these frozen dataclasses once it has checked every
rule; the compiler and the sync engine read only these, never the raw YAML, so
a value here is always of the declared type. `raw` keeps the parsed document
for keys that later features read (`record_schema`, `expectations`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from officebridge.mapping.erasure import ErasurePolicy

ValueSource = Literal["copy", "constant", "expr", "lookup", "link"]
Missing = Literal["error", "null"]
Unmapped = Literal["keep", "null", "error"]
WriteMode = Literal["insert", "update", "upsert"]
DeletePolicy = Literal["ignore", "archive", "delete"]
LinkSide = Literal["source", "target"]


@dataclass(frozen=True, slots=True)
class SourceSpec:
    system: str
    connection: str
    object: str
    cursor: str | None = None
    filter: Any = None  # native, valid against the source manifest's `capabilities.filter_schema`
    deletes: bool = False


@dataclass(frozen=True, slots=True)
class TargetSpec:
    system: str
    connection: str
    object: str
    match: str | None = None
    mode: WriteMode = "upsert"
    on_delete: DeletePolicy = "ignore"
    batch_size: int | None = None


@dataclass(frozen=True, slots=True)
class TransformSpec:
    """One step of a field's transform chain: a name and its parameters."""

    name: str
    params: tuple[tuple[str, Any], ...] = ()

    def param(self, key: str, default: Any = None) -> Any:
        for k, v in self.params:
            if k == key:
                return v
        return default


@dataclass(frozen=True, slots=True)
class KeyFrom:
    """Where a lookup or link takes its key: a source field or an expression."""

    field: str | None = None
    expr: str | None = None


@dataclass(frozen=True, slots=True)
class LookupSpec:
    """Resolve the key against a target-system object (`object.field == key`)."""

    object: str
    field: str
    key: KeyFrom


@dataclass(frozen=True, slots=True)
class LinkSpec:
    """Resolve the key through the links stored by another sync.

    `side: source` (the default): the key is a source id of that sync, the
    answer its target id. `side: target`: the key is a target id of that sync
    (a sync running the other way round), the answer its source id.
    """

    sync: str
    key: KeyFrom
    side: LinkSide = "source"


@dataclass(frozen=True, slots=True)
class FieldRule:
    """How one target field gets its value.

    Exactly one of `copy`, `constant`, `expr`, `lookup`, `link` is the source
    of value (`source` says which). Then, in this order: `transforms`, the
    value map (`value_map` + `unmapped`), `default` when the value is empty,
    and `required`.
    """

    target: str
    source: ValueSource
    copy: str | None = None
    constant: Any = None
    expr: str | None = None
    lookup: LookupSpec | None = None
    link: LinkSpec | None = None
    transforms: tuple[TransformSpec, ...] = ()
    value_map: tuple[tuple[Any, Any], ...] | None = None
    unmapped: Unmapped = "keep"
    default: Any = None
    has_default: bool = False
    required: bool = False
    missing: Missing = "error"


@dataclass(frozen=True, slots=True)
class Mapping:
    """One directional sync, as declared in one YAML file."""

    name: str
    file: str
    source: SourceSpec
    target: TargetSpec
    fields: tuple[FieldRule, ...]
    version: int = 1
    description: str = ""
    owner: str | None = None
    tags: tuple[str, ...] = ()
    schedule: str | None = None  # cron or preset
    runs_after: str | None = None  # `schedule: {on: <sync>}`: run each time that sync has written
    where: str | None = None
    sensitive: frozenset[str] = frozenset()
    erasure: ErasurePolicy | None = None  # `erasure:` (officebridge.mapping.erasure)
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def field_rule(self, target: str) -> FieldRule | None:
        for rule in self.fields:
            if rule.target == target:
                return rule
        return None
