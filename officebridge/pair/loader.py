"""Load a two-way mapping file: YAML -> checked `PairMapping`, every problem at once.

Problems carry file, line and column like every mapping problem. Beyond the
shape, the loader refuses what would make two-way sync lie: a transform or a
non-bijective value map on a field that flows both ways (the value written
back would not be the value read: the system of record modified by its own
echo), a side records are created on without a `match` field to find them
again, and what the systems' manifests say they cannot do (checked on each
direction as an ordinary directional mapping).
"""

from __future__ import annotations

import re
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from officebridge.connector import manifests
from officebridge.errors import MappingError, Problem
from officebridge.mapping.capabilities import check_capabilities
from officebridge.mapping.checks import check_against_systems
from officebridge.mapping.loader import (
    NAME_RE,
    RANK_STRUCTURE,
    Collector,
    Describe,
    _rule,
    read_text,
)
from officebridge.mapping.loader import (
    _name as sync_name,
)
from officebridge.mapping.spec import FieldRule, Mapping, SourceSpec, TargetSpec
from officebridge.mapping.yamldoc import Path as DocPath
from officebridge.mapping.yamldoc import YamlSyntaxError, format_path, parse
from officebridge.pair.spec import CONFLICTS, DIRECTIONS, PairField, PairMapping, Side, SideSpec, other

PAIR_KEY = "two_way"
_PAIR_LINE = re.compile(rf"^{PAIR_KEY}\s*:", re.MULTILINE)
_TOP = ("version", "name", "description", "owner", "tags", "schedule", PAIR_KEY, "fields", "a_to_b", "b_to_a",
        "erasure")  # fmt: skip
_ERASURE = ("identify", "a", "b")
_SIDE = ("system", "connection", "object", "cursor", "filter", "deletes", "match", "create", "on_delete")
_PAIR = ("a", "b", "conflict", "adopt_links")
_FIELD = ("a", "b", "direction", "conflict", "owner", "map", "transforms")


def is_pair_file(path: str | Path) -> bool:
    """Whether a YAML file is a two-way mapping (it has a top-level `two_way:`), without loading it."""
    try:
        return bool(_PAIR_LINE.search(Path(path).read_text(encoding="utf-8", errors="replace")[:1_000_000]))
    except OSError:
        return False


def load_pair(path: str | Path, *, describe: Describe | None = None) -> PairMapping:
    file = Path(path)
    return parse_pair(read_text(file), str(file), describe=describe)


def parse_pair(text: str, file: str = "<pair>", *, describe: Describe | None = None) -> PairMapping:
    try:
        doc = parse(text)
    except YamlSyntaxError as exc:
        raise MappingError([Problem(file, exc.line, exc.column, str(exc))]) from None
    out = Collector(file, doc)
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get(PAIR_KEY), dict):
        out.add((), f"a two-way mapping file has a `{PAIR_KEY}:` section with sides a and b", rank=0)
        raise MappingError(out.problems())
    for path, _pos in doc.duplicates:
        out.add(path, f"key {path[-1]!r} appears twice in {format_path(path[:-1]) or 'the file'}",
                at_key=True, rank=RANK_STRUCTURE)  # fmt: skip
    _keys(data, (), _TOP, out)
    if data.get("version") != 1:
        out.add(("version",), "version must be 1", rank=RANK_STRUCTURE)
    name = _name(data, file, out)
    block = data[PAIR_KEY]
    _keys(block, (PAIR_KEY,), _PAIR, out)
    sides: dict[Side, SideSpec | None] = {
        "a": _side("a", block.get("a"), out),
        "b": _side("b", block.get("b"), out),
    }
    default = block.get("conflict", "manual")
    if default not in CONFLICTS:
        out.add((PAIR_KEY, "conflict"), f"conflict must be one of {', '.join(CONFLICTS)}, not {default!r}")
        default = "manual"
    fields = _fields(data.get("fields"), sides, default, out)
    _stamps_for_newest(fields or [], data.get("fields"), sides, out)
    a, b = sides["a"], sides["b"]
    if a is None or b is None or fields is None:
        raise MappingError(out.problems() or [Problem(file, None, None, "the two sides could not be read")])
    both: tuple[Side, Side] = ("a", "b")
    extras = {s: _extras(data.get(f"{s}_to_{other(s)}"), s, sides, fields, out) for s in both}
    directions = {s: _direction(name, file, data, s, sides, fields, extras[s], out) for s in both}
    for s in both:
        _check_side(s, sides, directions, data, out, describe, fields, extras)
    directions = _with_erasure(data, directions, fields, out, describe)
    adopt = block.get("adopt_links", [])
    if not isinstance(adopt, list) or not all(isinstance(x, str) for x in adopt):
        out.add((PAIR_KEY, "adopt_links"), "adopt_links is a list of directional sync names")
        adopt = []
    problems = out.problems()
    if problems:
        raise MappingError(problems)
    schedule = data.get("schedule")
    return PairMapping(
        name=name,
        file=file,
        a=a,
        b=b,
        fields=tuple(fields),
        a_to_b=directions["a"],
        b_to_a=directions["b"],
        description=_text(data.get("description")),
        schedule=schedule if isinstance(schedule, str) else None,
        adopt_links=tuple(adopt),
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _keys(raw: Any, path: DocPath, allowed: tuple[str, ...], out: Collector) -> None:
    if not isinstance(raw, dict):
        return
    for key in raw:
        if key not in allowed:
            hint = get_close_matches(str(key), allowed, n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else f"; known: {', '.join(allowed)}"
            out.add((*path, str(key)), f"unknown key {key!r}{extra}", at_key=True, rank=RANK_STRUCTURE)


def _name(data: dict[str, Any], file: str, out: Collector) -> str:
    """The directional rule (`name:`, else the file name), and a given name checked too: the pair's
    name becomes its directions' sync names and its DAG ids."""
    name = sync_name(data, file, out)
    if isinstance(data.get("name"), str) and not NAME_RE.match(name):
        out.add(("name",), f"name {name!r} is not a valid sync name (a-z, 0-9, _)", rank=RANK_STRUCTURE)
    return name


def _side(key: Side, raw: Any, out: Collector) -> SideSpec | None:
    path: DocPath = (PAIR_KEY, key)
    if not isinstance(raw, dict):
        out.add(path if raw is not None else (PAIR_KEY,), f"side {key} needs system and object",
                rank=RANK_STRUCTURE)  # fmt: skip
        return None
    _keys(raw, path, _SIDE, out)
    system, obj = raw.get("system"), raw.get("object")
    ok = True
    for what, value in (("system", system), ("object", obj)):
        if not isinstance(value, str) or not value:
            out.add((*path, what) if what in raw else path, f"side {key}: `{what}` is required (text)",
                    rank=RANK_STRUCTURE)  # fmt: skip
            ok = False
    known = manifests()
    if isinstance(system, str) and system and system not in known:
        hint = get_close_matches(system, sorted(known), n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else f"; installed: {', '.join(sorted(known))}"
        out.add((*path, "system"), f"unknown system {system!r}{extra}", rank=RANK_STRUCTURE)
        ok = False
    on_delete = raw.get("on_delete", "ignore")
    if on_delete not in ("ignore", "archive", "delete"):
        out.add((*path, "on_delete"), f"on_delete must be ignore, archive or delete, not {on_delete!r}")
        on_delete = "ignore"
    for flag in ("deletes", "create"):
        if flag in raw and not isinstance(raw[flag], bool):
            out.add((*path, flag), f"{flag} is true or false")
    for text in ("connection", "cursor", "match"):
        if text in raw and not isinstance(raw[text], str):
            out.add((*path, text), f"{text} is text")
    if not ok:
        return None
    assert isinstance(system, str) and isinstance(obj, str)
    return SideSpec(
        key=key,
        system=system,
        connection=raw["connection"] if isinstance(raw.get("connection"), str) else f"{system}_default",
        object=obj,
        cursor=raw.get("cursor") if isinstance(raw.get("cursor"), str) else None,
        filter=raw.get("filter"),
        deletes=raw.get("deletes") is True,
        match=raw.get("match") if isinstance(raw.get("match"), str) else None,
        create=raw.get("create", True) is not False,
        on_delete=on_delete,
    )


def _owner_side(value: Any, sides: dict[Side, SideSpec | None]) -> Side | None:
    if value in ("a", "b"):
        return value  # type: ignore[no-any-return]
    named = [k for k, s in sides.items() if s is not None and s.system == value]
    return named[0] if len(named) == 1 else None


def _fields(
    raw: Any, sides: dict[Side, SideSpec | None], default: str, out: Collector
) -> list[PairField] | None:
    if not isinstance(raw, dict) or not raw:
        message = "`fields` lists the shared fields: name: {a: ..., b: ...}"
        out.add(("fields",) if raw is not None else (), message,
                rank=RANK_STRUCTURE)  # fmt: skip
        return None
    found: list[PairField] = []
    for name, body in raw.items():
        path: DocPath = ("fields", str(name))
        if not isinstance(body, dict):
            out.add(path, f"field {name!r} is {{a: <side a field>, b: <side b field>}}", rank=RANK_STRUCTURE)
            continue
        _keys(body, path, _FIELD, out)
        a, b = body.get("a"), body.get("b")
        if not isinstance(a, str) or not isinstance(b, str) or not a or not b:
            out.add(
                path, f"field {name!r} needs `a` and `b`: the field's name on each side", rank=RANK_STRUCTURE
            )
            continue
        direction = body.get("direction", "both")
        if direction not in DIRECTIONS:
            out.add(
                (*path, "direction"), f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}"
            )
            continue
        conflict = _conflict(body, path, sides, default, out)
        if conflict in ("a_wins", "b_wins") and direction != "both" and not direction.startswith(conflict[0]):
            key = "owner" if "owner" in body else "conflict"
            out.add(
                (*path, key),
                f"field {name!r} flows {direction} only, so side {conflict[0]} never sends it: its "
                f"{key} cannot be side {conflict[0]}; drop `{key}` or change the direction",
            )
            continue
        value_map = _value_map(body, path, str(name), direction, out)
        if "transforms" in body and direction == "both":
            out.add(
                (*path, "transforms"),
                f"field {name!r} flows both ways, and a transform does not round-trip (strip, lower, "
                "phone... change the value, so the system of record would be modified by its own echo); "
                "declare `direction: a_to_b` or `b_to_a` to make it one-way",
                at_key=True,
            )
            continue
        if conflict is None or value_map is False:
            continue
        found.append(PairField(str(name), a, b, direction, conflict, value_map or None))  # type: ignore[arg-type]
    _no_twice(found, out)
    return found


def _conflict(
    body: dict[str, Any], path: DocPath, sides: dict[Side, SideSpec | None], default: str, out: Collector
) -> str | None:
    conflict = body.get("conflict", default)
    if "owner" in body:
        owner = _owner_side(body["owner"], sides)
        if owner is None:
            names = [s.system for s in sides.values() if s is not None]
            out.add(
                (*path, "owner"), f"owner names a side: a, b, or a system of the pair ({', '.join(names)})"
            )
            return None
        wins = f"{owner}_wins"
        if "conflict" in body and body["conflict"] != wins:
            out.add(
                (*path, "conflict"), f"owner {body['owner']!r} means conflict {wins}; give one of the two"
            )
            return None
        return wins
    if conflict not in CONFLICTS:
        out.add((*path, "conflict"), f"conflict must be one of {', '.join(CONFLICTS)}, not {conflict!r}")
        return None
    return str(conflict)


def _value_map(
    body: dict[str, Any], path: DocPath, name: str, direction: str, out: Collector
) -> tuple[tuple[object, object], ...] | bool | None:
    """The a -> b value map; False when it is refused (reported)."""
    raw = body.get("map")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        out.add((*path, "map"), "map is side-a value: side-b value pairs")
        return False
    if direction == "both":
        seen: dict[Any, Any] = {}
        for key, value in raw.items():
            try:
                hash(value)
            except TypeError:
                out.add((*path, "map", str(key)), "a two-way value map needs plain values on side b")
                return False
            if value in seen:
                out.add(
                    (*path, "map", str(key)),
                    f"field {name!r} flows both ways, but its map sends {seen[value]!r} and {key!r} both to "
                    f"{value!r}: the way back is ambiguous; map each value to its own, or make it one-way",
                )
                return False
            seen[value] = key
    return tuple(raw.items())


def _stamps_for_newest(
    fields: list[PairField], raw: Any, sides: dict[Side, SideSpec | None], out: Collector
) -> None:
    """`newest_wins` compares both sides' change stamps: without a cursor on a side it could never decide."""
    unstamped = [s.key for s in sides.values() if s is not None and s.cursor is None]
    if not unstamped:
        return
    bodies = raw if isinstance(raw, dict) else {}
    for f in fields:
        if f.conflict != "newest_wins" or f.direction != "both":
            continue
        body = bodies.get(f.name)
        given = isinstance(body, dict) and "conflict" in body
        out.add(
            ("fields", f.name, "conflict") if given else (PAIR_KEY, "conflict"),
            f"field {f.name!r} is newest_wins, but side {' and '.join(unstamped)} has no `cursor` (its "
            "change stamp) to tell which edit is newer; give the side a cursor or choose another policy",
        )


def _no_twice(found: list[PairField], out: Collector) -> None:
    both: tuple[Side, Side] = ("a", "b")
    for side in both:
        seen: dict[str, str] = {}
        for f in found:
            name = f.field(side)
            if name in seen:
                out.add(
                    ("fields", f.name, side), f"side {side} field {name!r} is also shared as {seen[name]!r}"
                )
            seen.setdefault(name, f.name)


def _extras(
    raw: Any, side_from: Side, sides: dict[Side, SideSpec | None], fields: list[PairField], out: Collector
) -> list[FieldRule]:
    """One-way fields written into the other side, in the directional mapping's own rule syntax."""
    section = f"{side_from}_to_{other(side_from)}"
    if raw is None:
        return []
    if not isinstance(raw, dict):
        out.add((section,), f"{section} is target field: rule pairs, as in a directional mapping's fields")
        return []
    shared = {f.field(other(side_from)) for f in fields}
    source = sides[side_from]
    rules = []
    for target, body in raw.items():
        path: DocPath = (section, str(target))
        if str(target) in shared:
            out.add(path, f"{target!r} is already a shared field (under `fields`)", at_key=True)
            continue
        rule, whole = _rule(str(target), body, path, source.system if source else None, out)
        if rule is None or not whole:
            if rule is None:
                out.add(path, f"{target!r}: a rule is one of copy, constant, expr, lookup, link")
            continue
        rules.append(rule)
    return rules


def _direction(  # noqa: PLR0917 - the parts of one file, each named
    name: str,
    file: str,
    data: dict[str, Any],
    side_from: Side,
    sides: dict[Side, SideSpec | None],
    fields: list[PairField],
    extras: list[FieldRule],
    out: Collector,
) -> Mapping:
    """The directional mapping `side_from` -> other side, as the engine runs it."""
    src, dst = sides[side_from], sides[other(side_from)]
    assert src is not None and dst is not None
    rules = [
        FieldRule(
            target=f.field(other(side_from)),
            source="copy",
            copy=f.field(side_from),
            value_map=_oriented(f.value_map, side_from),
        )
        for f in fields
        if f.flows(side_from)
    ]
    transforms = _one_way_transforms(data, side_from, fields, src.system, out)
    rules = [FieldRule(**{**_as_dict(r), "transforms": transforms.get(r.target, ())}) for r in rules]
    return Mapping(
        name=f"{name}__{side_from}_to_{other(side_from)}",
        file=file,
        source=SourceSpec(src.system, src.connection, src.object, src.cursor, src.filter, src.deletes),
        target=TargetSpec(
            dst.system,
            dst.connection,
            dst.object,
            dst.match,
            "upsert" if dst.create else "update",
            dst.on_delete,
        ),
        fields=(*rules, *extras),
        description=_text(data.get("description")),
        owner=data.get("owner") if isinstance(data.get("owner"), str) else None,
        tags=tuple(t for t in data.get("tags") or () if isinstance(t, str))
        if isinstance(data.get("tags"), list)
        else (),
        schedule=data.get("schedule") if isinstance(data.get("schedule"), str) else None,
        raw=data,
    )


class _ErasureProblems(Collector):
    """Problems of the directional `erasure:` rules, moved to the two-way file's `erasure.a` / `erasure.b`."""

    def __init__(self, out: Collector, side_from: Side) -> None:
        super().__init__(out.file, out.doc)
        self.out = out
        self.names = {"source": side_from, "target": other(side_from)}

    def add(self, path: DocPath, message: str, *, at_key: bool = False, rank: int = 2,
            offset: int | None = None) -> None:  # fmt: skip
        where = tuple(self.names.get(str(p), p) if i == 1 else p for i, p in enumerate(path))
        for word, side in self.names.items():
            message = message.replace(f"erasure.{word}", f"erasure.{side}")
        self.out.add(where, message, at_key=at_key, rank=rank)


def _with_erasure(
    data: dict[str, Any],
    directions: dict[Side, Mapping],
    fields: list[PairField],
    out: Collector,
    describe: Describe | None,
) -> dict[Side, Mapping]:
    """The optional `erasure:` block (identify: a shared field; a / b: delete, keep or {anonymise: ...}),
    given to each direction as its directional policy and checked by the directional rules."""
    from officebridge.mapping.erasure import with_erasure  # noqa: PLC0415

    raw = data.get("erasure")
    if raw is None:
        return directions
    if not isinstance(raw, dict):
        out.add(("erasure",), "erasure is a mapping: identify (a shared field), a and b (delete, keep or "
                "{anonymise: {field: value}})")  # fmt: skip
        return directions
    _keys(raw, ("erasure",), _ERASURE, out)
    shared = {f.name: f for f in fields}
    identify = raw.get("identify")
    if not isinstance(identify, str) or identify not in shared:
        hint = get_close_matches(str(identify), sorted(shared), n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else f"; shared fields: {', '.join(sorted(shared))}"
        out.add(("erasure", "identify"), "erasure.identify names the shared field holding the person's "
                f"email (got {identify!r}){extra}")  # fmt: skip
        return directions
    for side in ("a", "b"):
        if side not in raw:
            out.add(
                ("erasure",), f"erasure.{side} is missing: delete, keep or {{anonymise: {{field: value}}}}"
            )
    if any(side not in raw for side in ("a", "b")):
        return directions
    found: dict[Side, Mapping] = {}
    both: tuple[Side, Side] = ("a", "b")
    for side in both:
        block = {"identify": shared[identify].field(side), "source": raw[side], "target": raw[other(side)]}
        # side b's mirror image repeats side a's checks: its problems would only be said twice
        problems = _ErasureProblems(out, side) if side == "a" else Collector(out.file, None)
        attached = with_erasure(directions[side], {"erasure": block}, problems, describe)
        found[side] = attached or directions[side]
    return found


def _as_dict(rule: FieldRule) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in rule.__slots__}


def _oriented(
    value_map: tuple[tuple[object, object], ...] | None, side_from: Side
) -> tuple[tuple[object, object], ...] | None:
    if value_map is None or side_from == "a":
        return value_map
    return tuple((b, a) for a, b in value_map)


def _one_way_transforms(
    data: dict[str, Any], side_from: Side, fields: list[PairField], system: str, out: Collector
) -> dict[str, Any]:
    """Transforms of one-way shared fields, parsed (and their problems reported) by the directional rules."""
    from officebridge.mapping.loader import _transforms  # noqa: PLC0415

    found: dict[str, Any] = {}
    raw_fields = data.get("fields") if isinstance(data.get("fields"), dict) else {}
    for f in fields:
        body = raw_fields.get(f.name) if isinstance(raw_fields, dict) else None
        if f.direction == "both" or not f.flows(side_from) or not isinstance(body, dict):
            continue
        path: DocPath = ("fields", f.name, "transforms")
        if "transforms" in body and not isinstance(body["transforms"], list):
            out.add(path, "transforms is a list of steps, e.g. [strip, lower]")
        steps = _transforms(body.get("transforms"), path, system, out)
        found[f.field(other(side_from))] = steps or ()
    return found


class _Translated(Collector):
    """Problems of a direction's checks, moved to where they are in the two-way file."""

    def __init__(self, out: Collector, side_from: Side, fields: list[PairField], extras: list[FieldRule]):
        super().__init__(out.file, out.doc)
        self.out = out
        self.side_from = side_from
        self.shared = {f.field(other(side_from)): f for f in fields}
        self.extra = {r.target for r in extras}

    def add(self, path: DocPath, message: str, *, at_key: bool = False, rank: int = 2,
            offset: int | None = None) -> None:  # fmt: skip
        self.out.add(self.where(path), message, at_key=at_key, rank=rank)

    def where(self, path: DocPath) -> DocPath:
        to = other(self.side_from)
        if path[:1] == ("source",):
            return (PAIR_KEY, self.side_from, *path[1:])
        if path[:1] == ("target",):
            return (PAIR_KEY, to, *(path[1:] if path[1:2] != ("mode",) else ("create",)))
        if path[:1] == ("fields",) and len(path) > 1:
            name = str(path[1])
            if name in self.shared:
                shared = self.shared[name]
                step = path[2] if len(path) > 2 else None
                return ("fields", shared.name, self.side_from if step == "copy" else to)
            if name in self.extra:
                return (f"{self.side_from}_to_{to}", *path[1:])
        return path


def _check_side(  # noqa: PLR0917 - the parts of one file, each named
    side_from: Side,
    sides: dict[Side, SideSpec | None],
    directions: dict[Side, Mapping],
    data: dict[str, Any],
    out: Collector,
    describe: Describe | None,
    fields: list[PairField],
    extras: dict[Side, list[FieldRule]],
) -> None:
    mapping = directions[side_from]
    dst = sides[other(side_from)]
    assert dst is not None
    block = data[PAIR_KEY]
    translated = _Translated(out, side_from, fields, extras[side_from])
    raw = {
        "source": block.get(side_from) or {},
        "target": {**(block.get(dst.key) or {}), "mode": mapping.target.mode},
    }
    check_capabilities(mapping, raw, translated)
    written = {r.target for r in mapping.fields}
    if dst.match is not None and dst.match not in written:
        out.add(
            (PAIR_KEY, dst.key, "match"),
            f"match {dst.match!r} is not written into side {dst.key} by this pair; add it to "
            f"`{side_from}_to_{dst.key}` (e.g. `{dst.match}: <side {side_from}'s id field>`)",
        )
    if dst.create and dst.match is None:
        out.add(
            (PAIR_KEY, dst.key),
            f"side {dst.key} creates records (create: true) but has no `match` field to find one again after "
            f"a crash; name the side-{dst.key} field holding the side-{side_from} id, or set create: false",
        )
    if describe is not None:
        check_against_systems(mapping, describe, translated)


__all__ = ["PAIR_KEY", "is_pair_file", "load_pair", "parse_pair"]
