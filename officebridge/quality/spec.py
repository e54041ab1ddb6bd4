"""The quality part of a mapping: its record schema and its batch expectations, checked at load time.

Two mapping keys turn quality checks on. `record_schema` names a JSON Schema
2020-12 file (or holds one inline) that every mapped record must satisfy.
`expectations` lists Great Expectations checks run on each batch of mapped
records, with one policy for what a failure does. Everything that can be known
from files alone is checked here, when the mapping is loaded, so a typo is a
`file:line` problem and never a crash in the middle of a run: the schema file
exists, parses and is a valid schema; each expectation exists in the installed
GX and its arguments fit (see catalog.py); columns are fields the mapping writes.
Nothing here imports Great Expectations or pandas.

A relative `record_schema` path is looked up next to the mapping file first,
then in the folder above it (the project root in the shipped layout, where
`mappings/` and `schemas/` are siblings), so `schemas/records/<system>/<object>.json`
works from a file in `mappings/`; last in the officebridge project itself, so a
copy of a shipped mapping elsewhere still finds the shipped record schemas.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Any, Literal, Protocol

import jsonschema

from officebridge.quality.catalog import COLUMN_ARGS, COLUMN_LIST_ARGS, argument_problems, catalog

Policy = Literal["fail", "quarantine", "warn"]
POLICIES: tuple[str, ...] = ("fail", "quarantine", "warn")
DEFAULT_POLICY: Policy = "fail"
DocPath = tuple[str | int, ...]


class Reporter(Protocol):
    def add(self, path: DocPath, message: str, *, at_key: bool = False) -> None: ...


@dataclass(frozen=True, slots=True)
class ExpectationSpec:
    """One expectation as declared: its GX name, its arguments and where it sits in the file."""

    name: str
    args: tuple[tuple[str, Any], ...]
    index: int  # position in the checks list (its document path ends with this)

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.args)

    def label(self) -> str:
        shown = ", ".join(
            f"{k}={v!r}" for k, v in self.args if k in ("column", "column_A", "column_B", "column_list")
        )
        return f"{self.name}({shown})"


@dataclass(frozen=True, slots=True)
class QualitySpec:
    file: str
    schema: dict[str, Any] | None
    schema_file: str | None
    expectations: tuple[ExpectationSpec, ...]
    on_failure: Policy
    checks_path: DocPath  # document path of the checks list (for positions of run-time problems)

    @property
    def active(self) -> bool:
        return self.schema is not None or bool(self.expectations)


def resolve_schema_path(value: str, mapping_file: str) -> list[Path]:
    """Candidate locations of a record schema file, in lookup order."""
    path = Path(value)
    if path.is_absolute():
        return [path]
    here = Path(mapping_file).resolve().parent
    shipped = Path(__file__).resolve().parents[2]  # the project holding the shipped schemas/records
    return list(dict.fromkeys([here / path, here.parent / path, shipped / path]))


MAX_SCHEMA_BYTES = 2_000_000


def schema_roots(mapping_file: str) -> list[Path]:
    """Folders a record schema may come from: the mapping's own, its project's `schemas/`, the shipped one.

    A path that resolves (symlinks followed) anywhere else is refused: a mapping
    must not read arbitrary files of the machine it runs on.
    """
    here = Path(mapping_file).resolve().parent
    shipped = Path(__file__).resolve().parents[2]
    return list(dict.fromkeys([here, here.parent / "schemas", shipped / "schemas"]))


def _inside(path: Path, roots: list[Path]) -> bool:
    real = path.resolve()
    return any(real.is_relative_to(root.resolve()) for root in roots)


def foreign_refs(schema: Any, at: str = "") -> list[str]:
    """`$ref`/`$dynamicRef`/`$id` values that could point outside the document (by where they are)."""
    found: list[str] = []
    if isinstance(schema, dict):
        for key, value in schema.items():
            here = f"{at}/{key}"
            if key in ("$ref", "$dynamicRef") and not (isinstance(value, str) and value.startswith("#")):
                found.append(f"{here} = {value!r}")
            elif key == "$id" and at:
                found.append(f"{here} = {value!r}")
            else:
                found += foreign_refs(value, here)
    elif isinstance(schema, list):
        for n, item in enumerate(schema):
            found += foreign_refs(item, f"{at}/{n}")
    return found


def _load_schema(value: Any, file: str, out: Reporter) -> tuple[dict[str, Any] | None, str | None]:
    where: DocPath = ("record_schema",)
    if isinstance(value, dict):
        return _checked_schema(value, "the inline record_schema", out), None
    if not isinstance(value, str):
        return None, None  # the mapping schema reports the type
    roots = schema_roots(file)
    candidates = resolve_schema_path(value, file)
    existing = [p for p in candidates if p.is_file()]
    found = next((p for p in existing if _inside(p, roots)), None)
    if found is None and existing:
        allowed = ", ".join(str(r) for r in roots)
        out.add(
            where,
            f"record_schema {value!r} lies outside the schema folders ({allowed}); copy it into one of them",
        )
        return None, None
    if found is None:
        tried = ", ".join(str(p) for p in candidates)
        out.add(where, f"record_schema file {value!r} not found (looked at {tried})")
        return None, None
    schema = _read_json(found, out)
    if schema is None:
        return None, None
    return _checked_schema(schema, f"record_schema {found}", out), str(found)


def _text_of(found: Path, out: Reporter) -> str | None:
    """The file as UTF-8 text, or None (said) when it is too big, binary or not UTF-8."""
    where: DocPath = ("record_schema",)
    if found.stat().st_size > MAX_SCHEMA_BYTES:
        out.add(where, f"record_schema {found}: larger than {MAX_SCHEMA_BYTES} bytes; not a record schema")
        return None
    raw = found.read_bytes()
    if b"\x00" in raw:
        out.add(where, f"record_schema {found}: a binary file, not a JSON schema")
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        out.add(where, f"record_schema {found}: not UTF-8 text (byte {exc.start}); a schema is JSON text")
        return None


def _read_json(found: Path, out: Reporter) -> dict[str, Any] | None:
    where: DocPath = ("record_schema",)
    try:
        text = _text_of(found, out)
        if text is None:
            return None
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        out.add(where, f"record_schema {found}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}")
        return None
    except OSError as exc:
        out.add(where, f"record_schema {found}: cannot read: {exc.strerror}")
        return None
    if not isinstance(schema, dict):
        out.add(where, f"record_schema {found}: a schema must be a JSON object")
        return None
    return schema


def _checked_schema(schema: dict[str, Any], what: str, out: Reporter) -> dict[str, Any] | None:
    refs = foreign_refs(schema)
    if refs:
        out.add(
            ("record_schema",),
            f"{what}: only references inside the schema (#/...) are allowed, never a file or a URL: "
            + "; ".join(refs[:3]),
        )
        return None
    declared = schema.get("$schema")
    if declared is not None and "2020-12" not in str(declared):
        out.add(("record_schema",), f"{what}: $schema must be JSON Schema 2020-12, not {declared!r}")
        return None
    problem = _meta_problem(json.dumps(schema, sort_keys=True, default=str))
    if problem is not None:
        out.add(("record_schema",), f"{what} is not a valid JSON Schema 2020-12: {problem}")
        return None
    return schema


@functools.lru_cache(maxsize=256)
def _meta_problem(schema_json: str) -> str | None:
    """The meta-schema check, once per process per distinct schema (a DAG folder parse loads one
    record schema for many mappings; the check was 39% of each parse)."""
    try:
        jsonschema.Draft202012Validator.check_schema(json.loads(schema_json))
    except jsonschema.SchemaError as exc:
        at = "/".join(str(p) for p in exc.absolute_path) or "(top level)"
        return f"at {at}: {exc.message}"
    return None


def _checks_of(raw: Any) -> tuple[list[Any], Policy, DocPath]:
    if isinstance(raw, list):
        return raw, DEFAULT_POLICY, ("expectations",)
    if isinstance(raw, dict):
        policy = raw.get("on_failure", DEFAULT_POLICY)
        checks = raw.get("checks")
        return (
            (checks if isinstance(checks, list) else []),
            (policy if policy in POLICIES else DEFAULT_POLICY),
            ("expectations", "checks"),
        )
    return [], DEFAULT_POLICY, ("expectations",)


def _expectation(item: Any, path: DocPath, mapped: set[str], out: Reporter) -> ExpectationSpec | None:
    if not isinstance(item, dict) or len(item) != 1:
        out.add(path, "each expectation is one `expect_...: {argument: value}` item")
        return None
    [(name, args)] = item.items()
    name = str(name)
    args = {} if args is None else args
    known = catalog()
    if not known.installed:
        out.add(
            (*path, name),
            "expectations need Great Expectations: pip install 'officebridge[quality]'",
            at_key=True,
        )
        return None
    if name not in known.names:
        hint = get_close_matches(name, sorted(known.names), n=1)
        more = f"; did you mean {hint[0]!r}?" if hint else ""
        out.add((*path, name), f"unknown expectation {name!r}{more}", at_key=True)
        return None
    if not isinstance(args, dict):
        out.add((*path, name), f"the arguments of {name} must be key: value pairs")
        return None
    problems = argument_problems(name, args)
    problems += _column_problems(name, args, mapped)
    for sub, message in problems:
        out.add((*path, name, *sub), message, at_key=bool(sub))
    if problems:
        return None
    return ExpectationSpec(name, tuple(args.items()), int(path[-1]))


def _column_problems(name: str, args: dict[str, Any], mapped: set[str]) -> list[tuple[tuple[str, ...], str]]:
    out: list[tuple[tuple[str, ...], str]] = []
    named = [(k, args[k]) for k in COLUMN_ARGS if isinstance(args.get(k), str)]
    for k in COLUMN_LIST_ARGS:
        if isinstance(args.get(k), list):
            named += [(k, c) for c in args[k] if isinstance(c, str)]
    for key, column in named:
        if column not in mapped:
            hint = get_close_matches(column, sorted(mapped), n=1)
            more = f"; did you mean {hint[0]!r}?" if hint else ""
            out.append(((key,), f"{name}: column {column!r} is not a field this mapping writes{more}"))
    return out


def _required_problems(schema: dict[str, Any], mapped: set[str], out: Reporter) -> None:
    """Rules that would fail every record: a required field never written, a written field forbidden."""
    properties = schema.get("properties")
    if schema.get("additionalProperties") is False and isinstance(properties, dict):
        for name in sorted(mapped - set(properties)):
            hint = get_close_matches(name, sorted(properties), n=1)
            more = f"; did you mean {hint[0]!r}?" if hint else ": add it to the schema's properties"
            out.add(
                ("fields", name),
                f"record_schema does not allow field {name!r} (additionalProperties: false){more}",
                at_key=True,
            )
    required = schema.get("required")
    for name in required if isinstance(required, list) else ():
        if isinstance(name, str) and name not in mapped:
            out.add(
                ("record_schema",),
                f"record_schema requires {name!r}, which this mapping does not write: "
                "every record would fail",
            )


def check_quality(data: dict[str, Any], file: str, out: Reporter) -> QualitySpec | None:
    """Check and build the quality part of a mapping document; problems go to `out`."""
    if "record_schema" not in data and "expectations" not in data:
        return None
    fields = data.get("fields")
    mapped = {str(k) for k in fields} if isinstance(fields, dict) else set()
    schema, schema_file = (
        _load_schema(data.get("record_schema"), file, out) if "record_schema" in data else (None, None)
    )
    if schema is not None and mapped:
        _required_problems(schema, mapped, out)
    checks, policy, path = _checks_of(data.get("expectations"))
    specs = [_expectation(item, (*path, i), mapped, out) for i, item in enumerate(checks)]
    return QualitySpec(file, schema, schema_file, tuple(s for s in specs if s is not None), policy, path)


class _Quiet:
    def add(self, path: DocPath, message: str, *, at_key: bool = False) -> None:
        """The loader already reported these; a rebuilt spec ignores them."""


def quality_of(mapping: Any) -> QualitySpec | None:
    """The quality spec of a loaded (already checked) mapping."""
    return check_quality(mapping.raw, mapping.file, _Quiet())
