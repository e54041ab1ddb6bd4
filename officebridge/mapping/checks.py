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

from officebridge.connector import FieldInfo, FieldKind, ObjectInfo
from officebridge.errors import ConfigError
from officebridge.mapping.expressions import compile_expression
from officebridge.mapping.spec import FieldRule, KeyFrom, Mapping

if TYPE_CHECKING:
    from officebridge.mapping.loader import Collector

Describe = Callable[[str, str, str], ObjectInfo | None]
DocPath = tuple[str | int, ...]
RANK = 3
TEXT_KINDS = {FieldKind.STRING, FieldKind.TEXT, FieldKind.PICKLIST}
STRICT_KINDS = {FieldKind.BOOLEAN, FieldKind.INTEGER, FieldKind.DECIMAL}


class UnknownObjectError(ConfigError):
    """The system answered, and it has no object of that name (`hint` is a did-you-mean or '')."""

    def __init__(self, system: str, obj: str, hint: str = "") -> None:
        self.system, self.object, self.hint = system, obj, hint
        super().__init__(f"{label(system, obj)} does not exist{hint}")


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


def _described(
    describe: Describe, end: tuple[str, str, str], path: DocPath, out: Collector
) -> ObjectInfo | None:
    """The object's describe; an object the system does not have is a problem at its line."""
    system, connection, obj = end
    try:
        return describe(system, connection, obj)
    except UnknownObjectError as exc:
        out.add(path, f"unknown object {obj!r} on {system}{exc.hint}", rank=RANK)
        return None


def _relation(head: str, info: ObjectInfo) -> FieldInfo | None:
    """The reference field a dotted path steps through: the field named `head`, or the one whose
    declared `relationship` name is `head` (systems that name the path apart from the id field)."""
    field = info.fields.get(head)
    if field is not None and field.reference_to:
        return field
    return next((f for f in info.fields.values() if f.reference_to and f.relationship == head), None)


def _path_problem(name: str, full: str, info: ObjectInfo, where: tuple[Describe, str, str]) -> str | None:
    """Why source field `name` (maybe a dotted path such as `industry_id.name`) cannot be read."""
    describe, system, connection = where
    known = sorted(info.fields)
    head, dot, rest = name.partition(".")
    inside = f" (in {full!r})" if full != name else ""
    if not dot:
        if name in info.fields:
            return None
        return f"unknown field {name!r} on {label(system, info.name)}{inside}{suggestion(name, known)}"
    field = _relation(head, info)
    if field is None:
        return (f"{head!r} in {full!r} is not a reference field of {label(system, info.name)}, so the "
                f"path cannot step through it{suggestion(head, known)}")  # fmt: skip
    try:
        related = describe(system, connection, field.reference_to[0])
    except UnknownObjectError:
        return None  # the system describes the reference but not its object: nothing more to check
    return None if related is None else _path_problem(rest, full, related, where)


def check_against_systems(mapping: Mapping, describe: Describe, out: Collector) -> None:
    src, tgt = mapping.source, mapping.target
    source_info = _described(describe, (src.system, src.connection, src.object), ("source", "object"), out)
    if source_info is not None:
        for name, path, offset in source_reads(mapping):
            problem = _path_problem(name, name, source_info, (describe, src.system, src.connection))
            if problem is not None:
                out.add(path, problem, rank=RANK, offset=offset)
    target_info = _described(describe, (tgt.system, tgt.connection, tgt.object), ("target", "object"), out)
    if target_info is not None:
        _check_targets(mapping, target_info, out)
        _check_types(mapping, source_info, target_info, out)
    for rule in mapping.fields:
        if rule.lookup is None:
            continue
        lookup_path: DocPath = ("fields", rule.target, "lookup", "object")
        info = _described(describe, (tgt.system, tgt.connection, rule.lookup.object), lookup_path, out)
        if info is not None and rule.lookup.field not in info.fields:
            where = label(tgt.system, rule.lookup.object)
            hint = suggestion(rule.lookup.field, sorted(info.fields))
            path = ("fields", rule.target, "lookup", "field")
            out.add(path, f"unknown field {rule.lookup.field!r} on {where}{hint}", rank=RANK)


def _check_types(mapping: Mapping, source: ObjectInfo | None, target: ObjectInfo, out: Collector) -> None:
    """Values that cannot fit: text copied into a boolean or a number, one id into a many-to-many,
    and source picklist values a value map with `unmapped: error` does not cover."""
    where = label(mapping.target.system, mapping.target.object)
    for rule in mapping.fields:
        field = target.fields.get(rule.target)
        if field is None:
            continue
        path: DocPath = ("fields", rule.target)
        from_field = source.fields.get(rule.copy) if source is not None and rule.copy else None
        if rule.lookup is not None and field.kind is FieldKind.MULTI_REFERENCE and _one_key(rule, source):
            out.add((*path, "lookup"), f"field {rule.target!r} on {where} holds several records "
                    f"({field.type}); a lookup of one value gives one id: give it a list "
                    "(from: {expr: \"[Type, Industry]\"}) or a multi-valued field", rank=RANK)  # fmt: skip
        if from_field is not None and not rule.transforms and rule.value_map is None:
            _check_copy(rule.target, (from_field, field), where, path, out)
        if from_field is not None and rule.value_map is not None and rule.unmapped == "error":
            _check_coverage(rule, from_field, path, out)


def _one_key(rule: FieldRule, source: ObjectInfo | None) -> bool:
    """The lookup's key is known to be one value: a plain source field that holds one value."""
    key = rule.lookup.key if rule.lookup is not None else None
    if key is None or key.field is None or source is None:
        return False  # an expression or a dotted path may well give a list
    info = source.fields.get(key.field)
    return info is not None and info.kind is not FieldKind.MULTI_REFERENCE


def _check_copy(
    name: str, pair: tuple[FieldInfo, FieldInfo], where: str, path: DocPath, out: Collector
) -> None:
    src, tgt = pair
    if src.kind in TEXT_KINDS and tgt.kind in STRICT_KINDS:
        out.add((*path, "copy"), f"{src.name!r} is text ({src.type}) but {name!r} on {where} is "
                f"{tgt.kind.value} ({tgt.type}); add a value map (`map:`) or an expression",
                rank=RANK)  # fmt: skip


def _check_coverage(rule: FieldRule, src: FieldInfo, path: DocPath, out: Collector) -> None:
    if not src.choices or rule.value_map is None:
        return
    keys = {str(k) for k, _v in rule.value_map}
    missing = [c for c in src.choices if c not in keys]
    if missing:
        shown = ", ".join(repr(c) for c in missing[:8]) + (" ..." if len(missing) > 8 else "")
        out.add((*path, "map"), f"`unmapped: error` but the map does not cover {len(missing)} value(s) of "
                f"{src.name!r}: {shown}; add them or choose `unmapped: keep`/`null`",
                rank=RANK, at_key=True)  # fmt: skip


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
