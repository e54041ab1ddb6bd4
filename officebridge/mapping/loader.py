"""Load mapping files: YAML -> checked, typed `Mapping`, every problem at once.

A file with five mistakes reports five, each with file, line and column (taken
from the YAML node marks) and the document path, most fundamental first:
YAML syntax, then structure (the JSON Schema), then expressions and
transforms and what the systems' manifests declare they can do (cursor
fields, filter language, operations, delete visibility), then what the
connected systems say about field names (only when a `describe` callback is
given). Building the spec is defensive: a part that
is malformed is skipped after being reported, so later checks still run on
the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from officebridge.connector import ObjectInfo
from officebridge.errors import ExpressionError, MappingError, Problem
from officebridge.mapping import schema
from officebridge.mapping.capabilities import check_capabilities
from officebridge.mapping.checks import check_against_systems, suggestion
from officebridge.mapping.erasure import with_erasure
from officebridge.mapping.expressions import compile_expression
from officebridge.mapping.spec import (
    FieldRule,
    KeyFrom,
    LinkSpec,
    LookupSpec,
    Mapping,
    SourceSpec,
    TargetSpec,
    TransformSpec,
)
from officebridge.mapping.transforms import parse_transform
from officebridge.mapping.yamldoc import Document, YamlSyntaxError, format_path, parse
from officebridge.mapping.yamldoc import Path as DocPath
from officebridge.quality.spec import check_quality

Describe = Callable[[str, str, str], ObjectInfo | None]
NAME_RE = re.compile(r"^[a-z0-9_]+$")
MAX_BYTES = 1_000_000  # the shipped mappings are 2-6 kB; a file far larger is not a mapping

RANK_SYNTAX, RANK_STRUCTURE, RANK_MEANING, RANK_SYSTEMS = 0, 1, 2, 3


class Collector:
    """Problems of one file, with positions resolved from the YAML document."""

    def __init__(self, file: str, doc: Document | None) -> None:
        self.file = file
        self.doc = doc
        self.found: list[tuple[int, Problem]] = []

    def add(self, path: DocPath, message: str, *, at_key: bool = False, rank: int = RANK_MEANING,
            offset: int | None = None) -> None:  # fmt: skip
        line = column = None
        if self.doc is not None:
            pos = self.doc.where(path, key=at_key)
            if pos is not None:
                line, column = pos.line, pos.column
                if offset is not None and pos.single_line:
                    column += offset - 1 + (1 if pos.quoted else 0)
        self.found.append((rank, Problem(self.file, line, column, message, format_path(path))))

    def problems(self) -> list[Problem]:
        seen: set[tuple[Any, ...]] = set()
        out = []
        for _rank, p in sorted(self.found, key=lambda rp: (rp[0], rp[1].line or 0, rp[1].column or 0)):
            key = (p.line, p.column, p.message)
            if key not in seen:
                seen.add(key)
                out.append(p)
        return out


NAME_LINE = re.compile(r"^name:\s*['\"]?([A-Za-z0-9_]+)['\"]?\s*(?:#.*)?$", re.MULTILINE)


def sync_names(folder: Path) -> frozenset[str]:
    """The sync names of a folder's mapping files (`name:`, else the file name), without loading them."""
    names = set()
    for file in sorted(folder.glob("*.y*ml")):
        try:
            found = NAME_LINE.search(file.read_text(encoding="utf-8", errors="replace")[:MAX_BYTES])
        except OSError:
            continue
        names.add(found.group(1) if found else file.stem)
    return frozenset(names)


def load_mapping(
    path: str | Path, *, describe: Describe | None = None, syncs: frozenset[str] | None = None
) -> Mapping:
    """Read, check and return one mapping; raise MappingError listing every problem.

    `syncs` (the names of the other syncs, see `sync_names`) lets `link.sync` be checked.
    """
    file = Path(path)
    return parse_mapping(read_text(file), str(file), describe=describe, syncs=syncs)


def read_text(file: Path) -> str:
    """The file as text, refused cleanly (with its name) when too big or not UTF-8."""

    def refuse(message: str, line: int | None = None, column: int | None = None) -> MappingError:
        return MappingError([Problem(str(file), line, column, message)])

    try:
        size = file.stat().st_size
        if size > MAX_BYTES:
            raise refuse(f"the file is {size / 1e6:.1f} MB; a mapping file is at most {MAX_BYTES // 1000} kB")
        with file.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise refuse(f"cannot read mapping file: {exc.strerror}") from None
    if len(data) > MAX_BYTES:
        raise refuse(f"the file is larger than {MAX_BYTES // 1000} kB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise refuse(f"not UTF-8 text (byte 0x{data[exc.start]:02x}): save the file as UTF-8", line,
                     column) from None  # fmt: skip


def load_mappings(paths: Iterable[str | Path], *, describe: Describe | None = None) -> list[Mapping]:
    """Load several files; problems of all files (and duplicate names) are raised together."""
    problems: list[Problem] = []
    loaded: list[Mapping] = []
    for path in paths:
        try:
            loaded.append(load_mapping(path, describe=describe))
        except MappingError as exc:
            problems.extend(exc.problems)
    by_name: dict[str, str] = {}
    for m in loaded:
        if m.name in by_name:
            problems.append(
                Problem(m.file, None, None, f"sync name {m.name!r} is also used by {by_name[m.name]}", "name")
            )
        by_name.setdefault(m.name, m.file)
    if problems:
        raise MappingError(problems)
    return loaded


def parse_mapping(
    text: str,
    file: str = "<mapping>",
    *,
    describe: Describe | None = None,
    syncs: frozenset[str] | None = None,
) -> Mapping:
    """Check and build a mapping from YAML text (what load_mapping does after reading)."""
    try:
        doc = parse(text)
    except YamlSyntaxError as exc:
        raise MappingError([Problem(file, exc.line, exc.column, str(exc))]) from None
    out = Collector(file, doc)
    if not isinstance(doc.data, dict):
        out.add((), "a mapping file must be key: value pairs (version, source, target, fields, ...)", rank=0)
        raise MappingError(out.problems())
    for path, _pos in doc.duplicates:
        out.add(path, f"key {path[-1]!r} appears twice in {format_path(path[:-1]) or 'the file'}",
                at_key=True, rank=RANK_STRUCTURE)  # fmt: skip
    for issue in schema.validate(doc.data):
        out.add(issue.path, issue.message, at_key=issue.at_key, rank=RANK_STRUCTURE)
    mapping, complete = _build(doc.data, file, out)
    check_quality(doc.data, file, out)  # record_schema and expectations: files and names, no GX import
    if mapping is not None:
        check_capabilities(mapping, doc.data, out)  # from the manifests: no connector is opened
    mapping = with_erasure(mapping, doc.data, out, describe)  # the `erasure:` block
    if mapping is not None and syncs is not None:
        _check_links(mapping, syncs, out)
    if mapping is not None and describe is not None:
        check_against_systems(mapping, describe, out)
    problems = out.problems()
    if problems or mapping is None or not complete:
        raise MappingError(problems)
    return mapping


def _check_links(mapping: Mapping, syncs: frozenset[str], out: Collector) -> None:
    """`link.sync` must name a sync that exists (else every run says "not synced by X yet")."""
    for rule in mapping.fields:
        if rule.link is not None and rule.link.sync not in syncs:
            hint = suggestion(rule.link.sync, sorted(syncs))
            message = f"link.sync names sync {rule.link.sync!r}, which no mapping file defines{hint}"
            out.add(("fields", rule.target, "link", "sync"), message)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _name(data: dict[str, Any], file: str, out: Collector) -> str:
    name = data.get("name")
    if isinstance(name, str):
        return name
    stem = Path(file).stem
    if not NAME_RE.match(stem):
        out.add((), f"the file name {stem!r} is not a valid sync name; add `name:` (a-z, 0-9, _)",
                rank=RANK_STRUCTURE)  # fmt: skip
    return stem


def _source(raw: Any) -> SourceSpec | None:
    if not isinstance(raw, dict) or not _str(raw.get("system")) or not _str(raw.get("object")):
        return None
    system = raw["system"]
    return SourceSpec(
        system=system,
        connection=_str(raw.get("connection")) or f"{system}_default",
        object=raw["object"],
        cursor=_str(raw.get("cursor")),
        filter=raw.get("filter"),  # native: checked against the source manifest's filter schema
        deletes=raw.get("deletes") is True,
    )


def _target(raw: Any) -> TargetSpec | None:
    if not isinstance(raw, dict) or not _str(raw.get("system")) or not _str(raw.get("object")):
        return None
    system = raw["system"]
    mode = raw.get("mode", "upsert")
    on_delete = raw.get("on_delete", "ignore")
    size = raw.get("batch_size")
    return TargetSpec(
        system=system,
        connection=_str(raw.get("connection")) or f"{system}_default",
        object=raw["object"],
        match=_str(raw.get("match")),
        mode=mode if mode in ("insert", "update", "upsert") else "upsert",
        on_delete=on_delete if on_delete in ("ignore", "archive", "delete") else "ignore",
        batch_size=size if isinstance(size, int) and not isinstance(size, bool) and size > 0 else None,
    )


def check_expression(text: Any, path: DocPath, out: Collector) -> str | None:
    """Compile an expression; report a problem at its exact column on failure."""
    if not isinstance(text, str):
        return None
    try:
        compile_expression(text)
    except ExpressionError as exc:
        out.add(path, f"expression {text!r}: {exc}", offset=exc.column)
        return None
    return text


def _key_from(raw: Any, path: DocPath, out: Collector) -> KeyFrom | None:
    if isinstance(raw, str):
        return KeyFrom(field=raw)
    if isinstance(raw, dict) and isinstance(raw.get("expr"), str):
        expr = check_expression(raw["expr"], (*path, "expr"), out)
        return KeyFrom(expr=expr) if expr else None
    return None


def _transforms(
    raw: Any, path: DocPath, system: str | None, out: Collector
) -> tuple[TransformSpec, ...] | None:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        return None
    steps = []
    for i, item in enumerate(raw):
        step, issues = parse_transform(item, system)
        for sub, message in issues:
            out.add((*path, i, *sub), message, at_key=bool(sub) and len(sub) > 1)
        if step is not None:
            steps.append(step)
    return tuple(steps) if len(steps) == len(raw) else None


def _rule(
    target: str, raw: Any, path: DocPath, system: str | None, out: Collector
) -> tuple[FieldRule | None, bool]:
    """The rule (built without its bad transforms, so name checks still run) and whether it is whole."""
    if isinstance(raw, str):
        return FieldRule(target=target, source="copy", copy=raw), True
    if not isinstance(raw, dict):
        return None, False
    present = [k for k in ("copy", "constant", "expr", "lookup", "link") if k in raw]
    transforms = _transforms(raw.get("transforms"), (*path, "transforms"), system, out)
    if len(present) != 1:
        return None, False
    rule = _rule_body(target, raw, present[0], transforms or (), path=path, out=out)
    return rule, rule is not None and transforms is not None


def _value_of(raw: dict[str, Any], kind: str, path: DocPath, out: Collector) -> dict[str, Any] | None:
    """The source-of-value part of a rule (None when it is unusable, already reported)."""
    if kind == "constant":
        return {"constant": raw["constant"]}
    if kind in ("copy", "expr"):
        value = _str(raw[kind]) if kind == "copy" else check_expression(raw["expr"], (*path, "expr"), out)
        return {kind: value} if value is not None else None
    return _reference_of(raw, kind, path, out)


def _reference_of(raw: dict[str, Any], kind: str, path: DocPath, out: Collector) -> dict[str, Any] | None:
    """A lookup or link rule's value part (None when it is unusable, already reported)."""
    spec = raw[kind]
    if not isinstance(spec, dict):
        return None
    key = _key_from(spec.get("from"), (*path, kind, "from"), out)
    missing = "null" if raw.get("missing", "error") in (None, "null") else "error"
    if key is None:
        return None
    if kind == "lookup" and _str(spec.get("object")) and _str(spec.get("field")):
        return {"lookup": LookupSpec(object=spec["object"], field=spec["field"], key=key), "missing": missing}
    if kind == "link" and _str(spec.get("sync")):
        side = spec.get("side") == "target"  # anything but source/target: the schema says so
        link = LinkSpec(sync=spec["sync"], key=key, side="target" if side else "source")
        return {"link": link, "missing": missing}
    return None


def _rule_body(
    target: str,
    raw: dict[str, Any],
    kind: str,
    transforms: tuple[TransformSpec, ...],
    *,
    path: DocPath,
    out: Collector,
) -> FieldRule | None:
    value = _value_of(raw, kind, path, out)
    if kind not in ("lookup", "link") and "missing" in raw:
        message = f"`missing` applies only to lookup and link (field {target!r} uses {kind})"
        out.add((*path, "missing"), message, at_key=True)
    if value is None:
        return None
    unmapped = raw.get("unmapped", "keep")
    return FieldRule(
        target=target,
        source=kind,  # type: ignore[arg-type]
        transforms=transforms,
        value_map=tuple(raw["map"].items()) if isinstance(raw.get("map"), dict) else None,
        unmapped="null" if unmapped in (None, "null") else "error" if unmapped == "error" else "keep",
        default=raw.get("default"),
        has_default="default" in raw,
        required=raw.get("required") is True,
        **value,
    )


def _build(data: dict[str, Any], file: str, out: Collector) -> tuple[Mapping | None, bool]:
    """The mapping (possibly partial, for further checks) and whether every part was usable."""
    source, target = _source(data.get("source")), _target(data.get("target"))
    system = source.system if source else None
    rules: list[FieldRule] = []
    complete = True
    raw_fields = data.get("fields")
    if isinstance(raw_fields, dict):
        for tname, raw in raw_fields.items():
            rule, whole = _rule(str(tname), raw, ("fields", str(tname)), system, out)
            complete &= whole
            if rule is not None:
                rules.append(rule)
    where = check_expression(data.get("where"), ("where",), out)
    mapped = {r.target for r in rules}
    if isinstance(raw_fields, dict):
        _check_references(data, set(map(str, raw_fields)), out)
    if source is None or target is None or not isinstance(raw_fields, dict):
        return None, False
    complete &= "where" not in data or where is not None
    tags, sensitive = data.get("tags"), data.get("sensitive")
    return Mapping(
        name=_name(data, file, out),
        file=file,
        version=1,
        description=_str(data.get("description")) or "",
        owner=_str(data.get("owner")),
        tags=tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else (),
        schedule=_str(data.get("schedule")),
        runs_after=_str(data["schedule"].get("on")) if isinstance(data.get("schedule"), dict) else None,
        source=source,
        target=target,
        fields=tuple(rules),
        where=where,
        sensitive=frozenset(s for s in sensitive if s in mapped)
        if isinstance(sensitive, list)
        else frozenset(),
        raw=data,
    ), complete


def _check_references(data: dict[str, Any], mapped: set[str], out: Collector) -> None:
    """`match` and `sensitive` must name fields this mapping writes."""
    target = data.get("target")
    if isinstance(target, dict):
        match, mode = target.get("match"), target.get("mode", "upsert")
        if isinstance(match, str) and match not in mapped:
            out.add(
                ("target", "match"),
                f"target.match {match!r} is not one of the mapped fields; add it to `fields`",
            )
        if match is None and mode in ("update", "upsert"):
            out.add(
                ("target",),
                f"target.match is needed for mode {mode!r}: name the field that identifies a record",
            )
    sensitive = data.get("sensitive")
    if isinstance(sensitive, list):
        for i, name in enumerate(sensitive):
            if isinstance(name, str) and name not in mapped:
                out.add(("sensitive", i), f"sensitive field {name!r} is not one of the mapped fields")
