"""Refuse, when a mapping loads, what its systems cannot do, from their manifests alone.

Each connector declares its capabilities in a light manifest (no client
library import), so these checks run wherever a mapping is loaded, Airflow's
DAG parsing included: a cursor the source cannot read by, a filter that is
not in the source's own filter language, a write mode or delete policy that
needs an operation the target does not offer, deletions asked of a source
that never shows them. Each problem points at its key with file, line and
column, like every other mapping problem. Unknown systems are left to the
schema (its enum of installed systems says it, with a did-you-mean).
"""

from __future__ import annotations

from difflib import get_close_matches
from typing import TYPE_CHECKING, Any

import jsonschema
from jsonschema.exceptions import best_match

from officebridge.connector import Capabilities, DeleteVisibility, OpKind, manifests
from officebridge.mapping.spec import Mapping

if TYPE_CHECKING:
    from officebridge.mapping.loader import Collector

_MODE_NEEDS = {
    "insert": (OpKind.CREATE,),
    "update": (OpKind.UPDATE,),
    "upsert": (OpKind.CREATE, OpKind.UPDATE),
}
_DELETE_NEEDS = {"archive": OpKind.ARCHIVE, "delete": OpKind.DELETE}


def _section(raw: dict[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key)
    return value if isinstance(value, dict) else {}


def check_capabilities(mapping: Mapping, raw: dict[str, Any], out: Collector) -> None:
    """Report every capability a mapping asks for and its systems do not declare."""
    found = manifests()
    source, target = found.get(mapping.source.system), found.get(mapping.target.system)
    raw_source, raw_target = _section(raw, "source"), _section(raw, "target")
    if source is not None:
        caps = source.capabilities
        _check_cursor(mapping, caps, out)
        if "filter" in raw_source and raw_source["filter"] is not None:
            _check_filter(mapping.source.system, raw_source["filter"], caps, out)
        if mapping.source.deletes and caps.deletes_for(mapping.source.object) is DeleteVisibility.NONE:
            out.add(
                ("source", "deletes"),
                f"source.deletes: {mapping.source.system} does not show deleted {mapping.source.object} "
                "records in its reads, so a sync cannot follow deletions; remove `deletes: true`",
            )
    if target is not None:
        _check_operations(mapping, target.capabilities, raw_target, out)


def _check_cursor(mapping: Mapping, caps: Capabilities, out: Collector) -> None:
    cursor = mapping.source.cursor
    fields = caps.cursors_for(mapping.source.object)
    if cursor is None or cursor in fields:
        return
    allowed = ", ".join(f"{name} (the default)" if i == 0 else name for i, name in enumerate(fields))
    hint = get_close_matches(cursor, fields, n=1)
    extra = f"; did you mean {hint[0]!r}?" if hint else ""
    out.add(
        ("source", "cursor"),
        f"source.cursor {cursor!r} is not a change stamp {mapping.source.system} "
        f"can read by; use one of: {allowed}{extra}",
    )


def _check_filter(system: str, value: Any, caps: Capabilities, out: Collector) -> None:
    if caps.filter_schema is None:
        hint = f" ({caps.filter_help})" if caps.filter_help else ""
        out.add(("source", "filter"), f"source.filter: {system} reads take no native filter{hint}; "
                "remove it, or filter mapped records with `where`")  # fmt: skip
        return
    validator_class = jsonschema.validators.validator_for(caps.filter_schema)
    error = best_match(validator_class(caps.filter_schema).iter_errors(value))
    if error is None:
        return
    example = f" ({caps.filter_help})" if caps.filter_help else ""
    where = "".join(f"[{p}]" for p in error.absolute_path)
    out.add(
        ("source", "filter", *error.absolute_path),
        f"source.filter{where} is not a valid {system} filter: {error.message}{example}",
    )


def _check_operations(mapping: Mapping, caps: Capabilities, raw: dict[str, Any], out: Collector) -> None:
    tgt = mapping.target
    system = tgt.system
    missing = [op.value for op in _MODE_NEEDS[tgt.mode] if op not in caps.operations]
    if missing:
        path = ("target", "mode") if "mode" in raw else ("target",)
        out.add(
            path,
            f"target.mode {tgt.mode!r} needs {' and '.join(missing)}, which {system} does not "
            f"support; it supports: {_supported(caps)}",
        )
    needed = _DELETE_NEEDS.get(tgt.on_delete)
    if needed is not None and needed not in caps.operations:
        out.add(
            ("target", "on_delete"),
            f"target.on_delete {tgt.on_delete!r} needs {needed.value}, which "
            f"{system} does not support; it supports: {_supported(caps)} (or use on_delete: ignore)",
        )


def _supported(caps: Capabilities) -> str:
    return ", ".join(op.value for op in OpKind if op in caps.operations) or "nothing"
