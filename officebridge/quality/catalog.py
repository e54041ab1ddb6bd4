"""Which Great Expectations expectations exist, and what arguments each takes, without importing GX.

Importing great_expectations costs seconds, and mapping files are loaded where
that is not acceptable (the DAG folder is parsed every few seconds; `validate`
should answer at once). GX 1.x ships, next to its core expectation modules, a
JSON Schema per expectation (`expectations/core/schemas/*.json`, listed in
`index.json`), generated from the same pydantic models that check arguments at
run time. Reading those files lets the loader reject an unknown expectation or
a misspelt argument with file and line, at load time. Expectations without a
shipped schema are recognised by their module file; their arguments are
checked when the run builds them (still before anything is written).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import jsonschema

# arguments the engine sets itself (what it needs to find the unexpected rows)
RESERVED_ARGS = frozenset(
    {"result_format", "catch_exceptions", "rendered_content", "batch_id", "metadata", "id"}
)
COLUMN_ARGS = ("column", "column_A", "column_B")
COLUMN_LIST_ARGS = ("column_list",)
_NAME_RE = re.compile(r"^expect_[a-z0-9_]+$")


@dataclass(frozen=True, slots=True)
class Catalog:
    """Expectation names known to the installed GX and their argument schemas (where shipped)."""

    names: frozenset[str]
    schema_files: dict[str, Path]
    installed: bool

    def schema(self, name: str) -> dict[str, Any] | None:
        path = self.schema_files.get(name)
        return _read_schema(path) if path is not None else None


def _gx_root() -> Path | None:
    try:
        spec = find_spec("great_expectations")  # locates the package; runs none of its code
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@cache
def catalog() -> Catalog:
    root = _gx_root()
    if root is None:
        return Catalog(frozenset(), {}, installed=False)
    core = root / "expectations" / "core"
    names = {p.stem for p in core.glob("expect_*.py")}
    files: dict[str, Path] = {}
    index = core / "schemas" / "index.json"
    if index.is_file():
        data = json.loads(index.read_text(encoding="utf-8"))
        for name, entry in (data.get("expectations") or {}).items():
            if isinstance(entry, dict) and isinstance(entry.get("schema_file"), str):
                files[name] = core / "schemas" / entry["schema_file"]
                names.add(name)
        names.update(n for n in data.get("documented_absent") or () if isinstance(n, str))
    return Catalog(frozenset(n for n in names if _NAME_RE.match(n)), files, installed=True)


@cache
def _read_schema(path: Path) -> dict[str, Any] | None:
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return schema if isinstance(schema, dict) else None


def _close(word: str, known: list[str]) -> list[str]:
    from difflib import get_close_matches  # noqa: PLC0415 - only on the error path

    return get_close_matches(word, known, n=1)


def argument_problems(name: str, args: dict[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """Problems with the arguments of one expectation: (path below the args, message)."""
    out: list[tuple[tuple[str, ...], str]] = []
    for key in sorted(set(args) & RESERVED_ARGS):
        out.append(((key,), f"{name}: argument {key!r} is set by officebridge; remove it"))
    schema = catalog().schema(name)
    if schema is None:
        return out
    known = sorted(k for k in schema.get("properties", {}) if k not in RESERVED_ARGS)
    validator = jsonschema.Draft7Validator(schema)
    for err in sorted(validator.iter_errors(args), key=lambda e: [str(p) for p in e.absolute_path]):
        path = tuple(str(p) for p in err.absolute_path)
        if err.validator == "additionalProperties":
            for extra in sorted(set(args) - set(schema.get("properties", {}))):
                hint = _close(extra, known)
                more = f"; did you mean {hint[0]!r}?" if hint else f" (it takes: {', '.join(known)})"
                out.append(((extra,), f"{name} has no argument {extra!r}{more}"))
        elif err.validator == "required":
            extras = set(args) - set(schema.get("properties", {}))
            suggested = {m for extra in extras for m in _close(extra, known)}
            missing = [k for k in err.validator_value if k not in args and k not in suggested]
            if missing:
                out.append(((), f"{name} needs the argument(s) {', '.join(map(repr, missing))}"))
        else:
            where = ".".join(path) or "arguments"
            out.append((path, f"{name}: {where}: {err.message}"))
    return out
