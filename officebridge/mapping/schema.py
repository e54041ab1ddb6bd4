"""Structural validation of a mapping document against mapping.schema.json.

The JSON Schema is the one editors use while analysts type; here we run the
same file and turn each jsonschema error into a sentence a non-programmer can
act on ("unknown key 'trasforms'; did you mean 'transforms'?") with the path
of the offending key or value, which the loader maps to a line and column.
The schema is read from the repository's `schemas/` folder when present and
otherwise from the copy shipped inside this package (an installed wheel has
no repository around it); a unit test keeps the two identical.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from difflib import get_close_matches
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_NAME = "mapping.schema.json"
SOURCES = ("copy", "constant", "expr", "lookup", "link")
_TYPE_WORDS = {
    "string": "text", "object": "a mapping (key: value pairs)", "array": "a list", "integer": "a whole number",
    "number": "a number", "boolean": "true or false", "null": "empty (null)",
}  # fmt: skip


def schema_path() -> Path:
    """The repository's schemas/mapping.schema.json, else the packaged copy."""
    repo = Path(__file__).resolve().parents[2] / "schemas" / SCHEMA_NAME
    return repo if repo.is_file() else Path(__file__).with_name(SCHEMA_NAME)


@cache
def load_schema() -> dict[str, Any]:
    with schema_path().open(encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema


@cache
def _validator() -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(load_schema())
    return cls(load_schema())  # type: ignore[no-any-return]


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
    from officebridge.mapping.yamldoc import format_path

    return format_path(path) or "the top level"


def _inside_transform_item(path: tuple[str | int, ...]) -> bool:
    return any(p == "transforms" and i + 1 < len(path) for i, p in enumerate(path))


def _describe(err: jsonschema.ValidationError, path: tuple[str | int, ...]) -> list[SchemaIssue]:
    kind, inst, schema = err.validator, err.instance, err.schema
    name = _where(path)
    if kind == "additionalProperties" and isinstance(inst, dict) and isinstance(schema, dict):
        known = sorted(schema.get("properties", {}))
        out = []
        for key in inst:
            if key in schema.get("properties", {}):
                continue
            hint = get_close_matches(str(key), known, n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else f" (allowed: {', '.join(known)})"
            out.append(SchemaIssue((*path, str(key)), f"unknown key {key!r} in {name}{extra}", at_key=True))
        return out
    if kind == "required":
        missing = str(err.validator_value[0]) if len(err.validator_value) == 1 else err.message
        for key in err.validator_value:
            if isinstance(inst, dict) and key not in inst:
                missing = key
                break
        return [SchemaIssue(path, f"{name} is missing the required key {missing!r}")]
    if kind == "type":
        want = err.validator_value if isinstance(err.validator_value, list) else [err.validator_value]
        words = " or ".join(_TYPE_WORDS.get(w, w) for w in want)
        return [SchemaIssue(path, f"{name} must be {words}, not {_type_name(inst)}")]
    if kind in ("enum", "const"):
        choices = err.validator_value if kind == "enum" else [err.validator_value]
        shown = ", ".join("null" if c is None else str(c) for c in choices)
        hint = get_close_matches(str(inst), [str(c) for c in choices if c is not None], n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else ""
        return [SchemaIssue(path, f"{name} must be {shown} (got {inst!r}){extra}")]
    if kind == "pattern":
        return [SchemaIssue(path, f"{name} must use only lower-case letters, digits and _ (got {inst!r})")]
    if kind == "oneOf" and isinstance(inst, dict):
        found = [s for s in SOURCES if s in inst]
        if found:
            msg = f"field {path[-1]!r} has {' and '.join(found)}; give exactly one source of value"
        else:
            msg = f"field {path[-1]!r} needs one source of value: {', '.join(SOURCES)}"
        return [SchemaIssue(path, msg)]
    if kind == "anyOf" and path and path[-1] == "schedule":
        return [SchemaIssue(path, f"schedule must be a cron expression (5 fields) or a preset such as @hourly (got {inst!r})")]
    if kind == "anyOf" and path and path[-1] == "from":
        return [SchemaIssue(path, f"{name} must be a source field name or {{expr: ...}}")]
    if kind == "minProperties" and path == ("fields",):
        return [SchemaIssue(path, "fields must list at least one target field")]
    if kind == "uniqueItems":
        return [SchemaIssue(path, f"{name} lists the same value twice")]
    if kind in ("minimum", "maximum"):
        word = "at least" if kind == "minimum" else "at most"
        return [SchemaIssue(path, f"{name} must be {word} {err.validator_value} (got {inst!r})")]
    return [SchemaIssue(path, f"{name}: {err.message}")]


def validate(data: Any) -> list[SchemaIssue]:
    """Every schema problem of `data`, as human messages with document paths."""
    issues: list[SchemaIssue] = []
    for err in _validator().iter_errors(data):
        path = tuple(err.absolute_path)
        if _inside_transform_item(path):
            continue  # the transform checks in transforms.py say it better
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
