"""Conversion of field values between JSON (what the API speaks) and SQLite (what we store).

Write validation needs to know, per field type, what a legal JSON value is and how it
is stored; reads need the reverse (0/1 back to booleans, compound address fields
rebuilt from their parts). Keeping both directions here keeps them consistent.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from connectors.salesforce.sandbox.schema import INT_TYPES, REAL_TYPES, FieldSpec, ObjectSpec
from connectors.salesforce.sandbox.store import DELETED_AT, format_datetime

_DATETIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:?\d{2})?$"
)
ADDRESS_PARTS = (
    "Street",
    "City",
    "State",
    "PostalCode",
    "Country",
    "Latitude",
    "Longitude",
    "GeocodeAccuracy",
)  # the components of a compound address field


class BadValue(ValueError):
    """A JSON value that cannot be stored in a field of this type."""


def parse_datetime_text(text: str) -> datetime:
    m = _DATETIME_RE.match(text.strip())
    if not m:
        raise BadValue(text)
    year, month, day, hour, minute, sec, frac, tz = m.groups()
    micro = int((frac or "0").ljust(6, "0"))
    tzinfo = UTC
    if tz and tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        digits = tz[1:].replace(":", "")
        tzinfo = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(sec or 0), micro, tzinfo)
    except ValueError as exc:
        raise BadValue(text) from exc


def to_storage(f: FieldSpec, value: Any) -> Any:  # noqa: PLR0911, PLR0912 - a dispatch on field type
    """JSON value -> stored value; raises BadValue when the type is wrong."""
    if value is None:
        return None
    t = f.type
    if t == "boolean":
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return int(value.lower() == "true")
        raise BadValue(value)
    if t in INT_TYPES or t in REAL_TYPES:
        if isinstance(value, bool):
            raise BadValue(value)
        if isinstance(value, str):
            if value.strip() == "":
                return None
            try:
                value = float(value)
            except ValueError as exc:
                raise BadValue(value) from exc
        if not isinstance(value, int | float):
            raise BadValue(value)
        if t in INT_TYPES:
            if float(value) != int(value):
                raise BadValue(value)
            return int(value)
        return float(value)
    if t == "date":
        if not isinstance(value, str):
            raise BadValue(value)
        try:
            return date.fromisoformat(value[:10]).isoformat()
        except ValueError as exc:
            raise BadValue(value) from exc
    if t == "datetime":
        if not isinstance(value, str):
            raise BadValue(value)
        return format_datetime(parse_datetime_text(value))
    if isinstance(value, dict | list):
        raise BadValue(value)
    text = (
        value
        if isinstance(value, str)
        else ("true" if value is True else "false" if value is False else str(value))
    )
    return text if text != "" else None


def from_storage(f: FieldSpec, value: Any) -> Any:
    if value is None:
        return None
    if f.type == "boolean":
        return bool(value)
    if f.type in INT_TYPES:
        return int(value)
    return value


def record_url(spec: ObjectSpec, record_id: str, version: str) -> str:
    return f"/services/data/v{version}/sobjects/{spec.name}/{record_id}"


def row_to_json(
    spec: ObjectSpec, row: dict[str, Any], version: str, fields: list[FieldSpec] | None = None
) -> dict[str, Any]:
    """A stored row as the API shows it: `attributes` first, then every requested field."""
    out: dict[str, Any] = {"attributes": {"type": spec.name, "url": record_url(spec, row["Id"], version)}}
    for f in fields if fields is not None else list(spec.fields.values()):
        if f.type == "address":
            out[f.name] = _address(row, f.name[: -len("Address")])
        elif f.stored:
            out[f.name] = from_storage(f, row.get(f.name))
    return out


def _address(row: dict[str, Any], prefix: str) -> dict[str, Any] | None:
    parts = {p[0].lower() + p[1:]: row.get(prefix + p) for p in ADDRESS_PARTS}
    return parts if any(v is not None for v in parts.values()) else None


def stored_columns(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != DELETED_AT}
