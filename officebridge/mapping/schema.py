"""Structural validation of a mapping document against the mapping JSON Schema.

The JSON Schema is the one editors use while analysts type (`officebridge
schema mapping` prints it; `schemas/mapping.schema.json` is that output); here
we validate against the same schema, built from the packaged template and the
installed connectors (`schemabuild`), and turn each jsonschema error into a
sentence a non-programmer can act on ("unknown key 'trasforms'; did you mean
'transforms'?") with the path of the offending key or value, which the loader
maps to a line and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import get_close_matches
from functools import cache
from typing import Any, TypeAlias

import jsonschema

from officebridge.mapping.schemabuild import installed_schema, installed_systems
from officebridge.mapping.yamldoc import format_path

SCHEMA_NAME = "mapping.schema.json"  # the generated file's name under schemas/
SCHEDULE_HELP = "a cron expression (5 fields), a preset such as @hourly, or {on: <another sync>}"
SOURCES = ("copy", "constant", "expr", "lookup", "link")
_TYPE_WORDS = {
    "string": "text", "object": "a mapping (key: value pairs)", "array": "a list",
    "integer": "a whole number", "number": "a number", "boolean": "true or false", "null": "empty (null)",
}  # fmt: skip


def load_schema() -> dict[str, Any]:
    """The mapping schema for the installed connectors."""
    return installed_schema()


def _validator() -> jsonschema.protocols.Validator:
    return _validator_for(installed_systems())


@cache
def _validator_for(_systems: tuple[str, ...]) -> jsonschema.protocols.Validator:
    """One compiled validator per set of installed systems (a plug-in may be added in-process)."""
    schema = load_schema()
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


@dataclass(frozen=True, slots=True)
class SchemaIssue:
    path: tuple[str | int, ...]
    message: str
    at_key: bool = False  # point at the key rather than the value


def _type_name(value: Any) -> str:
    for name, pytype in (("null", type(None)), ("boolean", bool), ("integer", int), ("number", float),
                         ("string", str), ("array", list), ("object", dict)):  # fmt: skip
        if isinstance(value, pytype):
            return _TYPE_WORDS[name]
    return type(value).__name__


def _where(path: tuple[str | int, ...]) -> str:
    return format_path(path) or "the top level"


def _inside_transform_item(path: tuple[str | int, ...]) -> bool:
    return any(p == "transforms" and i + 1 < len(path) for i, p in enumerate(path))


def _checked_by_capabilities(path: tuple[str | int, ...]) -> bool:
    """source.cursor and source.filter: the capability checks say it better (allowed list, example)."""
    return path[:2] in (("source", "cursor"), ("source", "filter"))


Err: TypeAlias = jsonschema.ValidationError
DocPath = tuple[str | int, ...]


def _unknown_keys(err: Err, path: DocPath, name: str) -> list[SchemaIssue]:
    props = err.schema.get("properties", {}) if isinstance(err.schema, dict) else {}
    known = sorted(props)
    out = []
    for key in err.instance if isinstance(err.instance, dict) else ():
        if key in props:
            continue
        hint = get_close_matches(str(key), known, n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else f" (allowed: {', '.join(known)})"
        out.append(SchemaIssue((*path, str(key)), f"unknown key {key!r} in {name}{extra}", at_key=True))
    return out


def _required(err: Err, path: DocPath, name: str) -> list[SchemaIssue]:
    inst = err.instance if isinstance(err.instance, dict) else {}
    required: list[Any] = list(err.validator_value)  # type: ignore[arg-type]
    missing = next((k for k in required if k not in inst), required[0])
    return [SchemaIssue(path, f"{name} is missing the required key {missing!r}")]


def _type(err: Err, path: DocPath, name: str) -> list[SchemaIssue]:
    want = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
    words = " or ".join(_TYPE_WORDS.get(str(w), str(w)) for w in want)
    return [SchemaIssue(path, f"{name} must be {words}, not {_type_name(err.instance)}")]


def _choice(err: Err, path: DocPath, name: str) -> list[SchemaIssue]:
    choices: list[Any] = list(err.validator_value) if err.validator == "enum" else [err.validator_value]  # type: ignore[arg-type]
    shown = ", ".join(str(c) if c is not None else "null" for c in choices)
    hint = get_close_matches(str(err.instance), [str(c) for c in choices if c is not None], n=1)
    extra = f"; did you mean {hint[0]!r}?" if hint else ""
    return [SchemaIssue(path, f"{name} must be {shown} (got {err.instance!r}){extra}")]


def _pattern(err: Err, path: DocPath, name: str) -> list[SchemaIssue]:
    return [
        SchemaIssue(path, f"{name} must use only lower-case letters, digits and _ (got {err.instance!r})")
    ]


def _one_source(err: Err, path: DocPath, name: str) -> list[SchemaIssue]:
    found = [s for s in SOURCES if isinstance(err.instance, dict) and s in err.instance]
    if found:
        return [
            SchemaIssue(
                path, f"field {path[-1]!r} has {' and '.join(found)}; give exactly one source of value"
            )
        ]
    return [SchemaIssue(path, f"field {path[-1]!r} needs one source of value: {', '.join(SOURCES)}")]


def _any_of(err: Err, path: DocPath, name: str) -> list[SchemaIssue]:
    last = path[-1] if path else ""
    if last == "schedule":
        msg = f"schedule must be {SCHEDULE_HELP} (got {err.instance!r})"
    elif last == "from":
        msg = f"{name} must be a source field name or {{expr: ...}}"
    else:
        msg = f"{name}: {err.message}"
    return [SchemaIssue(path, msg)]


def _bound(err: Err, path: DocPath, name: str) -> list[SchemaIssue]:
    if err.validator == "minProperties" and path == ("fields",):
        return [SchemaIssue(path, "fields must list at least one target field")]
    if err.validator == "uniqueItems":
        return [SchemaIssue(path, f"{name} lists the same value twice")]
    word = "at least" if err.validator in ("minimum", "minProperties", "minLength") else "at most"
    return [SchemaIssue(path, f"{name} must be {word} {err.validator_value} (got {err.instance!r})")]


_DESCRIBE = {
    "additionalProperties": _unknown_keys, "required": _required, "type": _type, "enum": _choice,
    "const": _choice, "pattern": _pattern, "oneOf": _one_source, "anyOf": _any_of, "minProperties": _bound,
    "uniqueItems": _bound, "minimum": _bound, "maximum": _bound,
}  # fmt: skip


def _describe(err: Err, path: DocPath) -> list[SchemaIssue]:
    name = _where(path)
    handler = _DESCRIBE.get(str(err.validator))
    if handler is None:
        return [SchemaIssue(path, f"{name}: {err.message}")]
    return handler(err, path, name)


def validate(data: Any) -> list[SchemaIssue]:
    """Every schema problem of `data`, as human messages with document paths."""
    issues: list[SchemaIssue] = []
    for err in _validator().iter_errors(data):
        path = tuple(err.absolute_path)
        if _inside_transform_item(path) or _checked_by_capabilities(path):
            continue  # the transform and capability checks say it better
        if err.validator == "if":
            continue
        issues.extend(_describe(err, path))
    return _drop_explained(issues)


def _drop_explained(issues: list[SchemaIssue]) -> list[SchemaIssue]:
    """Drop "missing key X" when a misspelt sibling key already suggests X."""
    suggested = {
        (i.path[:-1], i.message.rsplit("did you mean ", 1)[1].strip("'?"))
        for i in issues
        if i.at_key and "did you mean" in i.message
    }
    return [
        i for i in issues
        if not (i.message.startswith(_where(i.path)) and "missing the required key" in i.message
                and (i.path, i.message.rsplit(" ", 1)[1].strip("'")) in suggested)
    ]  # fmt: skip
