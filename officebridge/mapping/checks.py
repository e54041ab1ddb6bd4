"""Check a mapping's field names against what the connected systems describe.

Given a `describe(system, connection, object)` callback (which returns the
connector's ObjectInfo, or None when the system cannot be asked), every source
field the mapping reads and every target field it writes is looked up; a
misspelt name gets a did-you-mean, a read-only target field is refused. This
runs at load time so an analyst hears about `Emial` before the first run, not
as ten thousand dead letters.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from difflib import get_close_matches
from typing import TYPE_CHECKING

from officebridge.connector import ObjectInfo
from officebridge.mapping.expressions import compile_expression
from officebridge.mapping.spec import FieldRule, KeyFrom, Mapping

if TYPE_CHECKING:
    from officebridge.mapping.loader import Collector

Describe = Callable[[str, str, str], ObjectInfo | None]
DocPath = tuple[str | int, ...]
RANK = 3


def label(system: str, obj: str) -> str:
    return f"{system[:1].upper()}{system[1:]} {obj}"


def suggestion(name: str, known: list[str]) -> str:
    folded = {k.lower(): k for k in known}
    hit = [folded[name.lower()]] if name.lower() in folded else get_close_matches(name, known, n=1)
    return f"; did you mean {hit[0]!r}?" if hit else ""


def _expr_reads(text: str, path: DocPath) -> Iterator[tuple[str, DocPath, int | None]]:
    for name in compile_expression(text).names:
        found = re.search(rf"(?<![\w'\"]){re.escape(name)}\b", text)
        yield name, path, (found.start() + 1) if found else None


def _key_reads(key: KeyFrom, path: DocPath) -> Iterator[tuple[str, DocPath, int | None]]:
    if key.field is not None:
        yield key.field, path, None
    elif key.expr is not None:
        yield from _expr_reads(key.expr, (*path, "expr"))


def _rule_reads(rule: FieldRule) -> Iterator[tuple[str, DocPath, int | None]]:
    base: DocPath = ("fields", rule.target)
    if rule.copy is not None:
        yield rule.copy, (*base, "copy"), None  # falls back to the shorthand value
    if rule.expr is not None:
        yield from _expr_reads(rule.expr, (*base, "expr"))
    if rule.lookup is not None:
        yield from _key_reads(rule.lookup.key, (*base, "lookup", "from"))
    if rule.link is not None:
        yield from _key_reads(rule.link.key, (*base, "link", "from"))
    for i, step in enumerate(rule.transforms):
        src = step.param("from") if step.name == "phone" else None
        if src:
            yield src, (*base, "transforms", i, "phone", "from"), None


def source_reads(mapping: Mapping) -> Iterator[tuple[str, DocPath, int | None]]:
    """(source field, document path, column offset in an expression) for every read."""
    for rule in mapping.fields:
        yield from _rule_reads(rule)
    if mapping.where:
        yield from _expr_reads(mapping.where, ("where",))
    if mapping.source.cursor:
        yield mapping.source.cursor, ("source", "cursor"), None


def check_against_systems(mapping: Mapping, describe: Describe, out: Collector) -> None:
    src, tgt = mapping.source, mapping.target
    source_info = describe(src.system, src.connection, src.object)
    if source_info is not None:
        known = sorted(source_info.fields)
        where = label(src.system, src.object)
        for name, path, offset in source_reads(mapping):
            if name not in source_info.fields:
                out.add(
                    path,
                    f"unknown field {name!r} on {where}{suggestion(name, known)}",
                    rank=RANK,
                    offset=offset,
                )
    target_info = describe(tgt.system, tgt.connection, tgt.object)
    if target_info is not None:
        _check_targets(mapping, target_info, out)
    for rule in mapping.fields:
        if rule.lookup is None:
            continue
        info = describe(tgt.system, tgt.connection, rule.lookup.object)
        if info is not None and rule.lookup.field not in info.fields:
            where = label(tgt.system, rule.lookup.object)
            hint = suggestion(rule.lookup.field, sorted(info.fields))
            path = ("fields", rule.target, "lookup", "field")
            out.add(path, f"unknown field {rule.lookup.field!r} on {where}{hint}", rank=RANK)


def _check_targets(mapping: Mapping, info: ObjectInfo, out: Collector) -> None:
    where = label(mapping.target.system, mapping.target.object)
    known = sorted(info.fields)
    for rule in mapping.fields:
        field = info.fields.get(rule.target)
        path: DocPath = ("fields", rule.target)
        if field is None:
            out.add(path, f"unknown field {rule.target!r} on {where}{suggestion(rule.target, known)}",
                    at_key=True, rank=RANK)  # fmt: skip
        elif field.readonly and not (rule.target == mapping.target.match and mapping.target.mode == "update"):
            # the match field of an update-only sync identifies the record and is never written
            out.add(path, f"field {rule.target!r} on {where} is read-only and cannot be written",
                    at_key=True, rank=RANK)  # fmt: skip
