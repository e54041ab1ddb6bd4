"""Converting field values between the RPC wire format and SQLite columns.

Reads follow `Field.convert_to_read` in Odoo 17: many2one as `[id, display
name]` (or the bare id with `load="_classic_write"`), x2many as id lists, empty
values as `false` (0 for numbers). Writes validate the way the ORM does:
selection values must be offered, dates must parse, many2one targets must exist.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from connectors.odoo.sandbox.catalog import ModelSpec, dynamic_selection, registry
from connectors.odoo.sandbox.env import Env
from connectors.odoo.sandbox.exceptions import PyValueError, ValidationError


def empty_value(ftype: str) -> Any:
    if ftype in ("one2many", "many2many"):
        return []
    if ftype == "integer":
        return 0
    if ftype in ("float", "monetary"):
        return 0.0
    return False


def read_value(ftype: str, value: Any) -> Any:
    if value is None:
        return empty_value(ftype)
    if ftype == "boolean":
        return bool(value)
    if ftype in ("float", "monetary"):
        return float(value)
    if ftype in ("json", "properties"):
        return json.loads(value)
    return value


def selection_values(spec: ModelSpec, fname: str) -> list[str]:
    sel = spec.fields[fname].get("selection")
    items = dynamic_selection(spec.name, fname) if isinstance(sel, str) else (sel or [])
    return [str(item[0]) for item in items]


def _parse_datetime(text: str, fmt: str) -> datetime:
    try:
        return datetime.strptime(text, fmt)
    except ValueError as exc:
        raise PyValueError(str(exc)) from None


def column_value(env: Env, spec: ModelSpec, fname: str, value: Any) -> Any:  # noqa: PLR0911 - one branch per field type
    """The SQLite value for writing `value` into column `fname`."""
    ftype = spec.columns[fname]
    if ftype == "boolean":
        return 1 if value else 0
    if value is None or value is False:
        return None
    try:
        if ftype == "integer":
            return int(value)
        if ftype in ("float", "monetary"):
            return float(value)
    except (TypeError, ValueError):
        raise PyValueError(f"Wrong value for {spec.name}.{fname}: {value!r}") from None
    if ftype == "selection":
        if str(value) not in selection_values(spec, fname):
            raise PyValueError(f"Wrong value for {spec.name}.{fname}: {value!r}")
        return str(value)
    if ftype == "date":
        return _parse_datetime(str(value)[:10], "%Y-%m-%d").strftime("%Y-%m-%d")
    if ftype == "datetime":
        text = str(value)
        text = text + " 00:00:00" if len(text) == 10 else text[:19]
        return _parse_datetime(text, "%Y-%m-%d %H:%M:%S").strftime("%Y-%m-%d %H:%M:%S")
    if ftype == "many2one":
        return _many2one(env, spec, fname, value)
    if ftype in ("json", "properties"):
        return json.dumps(value)
    return str(value)


def _many2one(env: Env, spec: ModelSpec, fname: str, value: Any) -> int:
    if isinstance(value, list | tuple) and value:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, int):
        raise PyValueError(f"Wrong value for {spec.name}.{fname}: {value!r}")
    comodel = spec.relation(fname)
    if comodel in registry() and not env.rows(registry()[comodel], [value], columns=[]):
        label = spec.fields[fname].get("string", fname)
        raise ValidationError(
            "The operation cannot be completed: the referenced record does not exist.\n"
            f"Model: {spec.description} ({spec.name}), Field: {label} ({fname}), "
            f"Record: {comodel}({value},)"
        )
    return value
