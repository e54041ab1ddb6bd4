"""Tryton's JSON-RPC values: tagged objects on the wire, plain JSON-able values for the engine.

Tryton sends datetimes, dates, times, timedeltas, Decimals and bytes as
`{"__class__": "datetime", "year": ...}` objects and expects the same shape in
domains and writes. Datetimes are naive UTC (trytond runs with TZ=UTC) and
keep their microseconds, which is why watermarks are taken from these values.
For the engine, values become plain: datetimes an ISO string (naive UTC),
Decimals a JSON number, SQLite's 1/0 booleans true/false (by the field's type),
and a dotted read (`party.name`, answered under `"party."`) flat keys.
"""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any


def decode_hook(obj: dict[str, Any]) -> Any:
    """`json.loads(object_hook=...)`: tagged objects become Python values."""
    tag = obj.get("__class__")
    if tag is None:
        return obj
    if tag == "datetime":
        return datetime(obj["year"], obj["month"], obj["day"], obj.get("hour", 0), obj.get("minute", 0),
                        obj.get("second", 0), obj.get("microsecond", 0))  # fmt: skip
    if tag == "date":
        return date(obj["year"], obj["month"], obj["day"])
    if tag == "time":
        return time(obj.get("hour", 0), obj.get("minute", 0), obj.get("second", 0), obj.get("microsecond", 0))
    if tag == "timedelta":
        return timedelta(seconds=float(obj["seconds"]))
    if tag == "Decimal":
        return Decimal(str(obj["decimal"]))
    if tag == "bytes":
        return base64.b64decode(obj["base64"])
    return obj


def encode(value: Any) -> Any:
    """A Python value (nested in lists/dicts) in Tryton's tagged JSON form."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return {"__class__": "datetime", "year": value.year, "month": value.month, "day": value.day,
                "hour": value.hour, "minute": value.minute, "second": value.second,
                "microsecond": value.microsecond}  # fmt: skip
    if isinstance(value, date):
        return {"__class__": "date", "year": value.year, "month": value.month, "day": value.day}
    if isinstance(value, time):
        return {"__class__": "time", "hour": value.hour, "minute": value.minute, "second": value.second,
                "microsecond": value.microsecond}  # fmt: skip
    if isinstance(value, timedelta):
        return {"__class__": "timedelta", "seconds": value.total_seconds()}
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, bytes | bytearray):
        return {"__class__": "bytes", "base64": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    return value


def plain(value: Any, native_type: str = "") -> Any:
    """A decoded Tryton value as a plain JSON-able value for the engine."""
    if native_type == "boolean" and isinstance(value, int):
        return bool(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def flatten(row: dict[str, Any]) -> dict[str, Any]:
    """`{"party.": {"name": "X", "id": 3}}` becomes `{"party.name": "X"}` (nested dots too)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key.endswith(".") and isinstance(value, dict):
            for sub, inner in flatten(value).items():
                if sub != "id":
                    out[f"{key}{sub}"] = inner
        elif key.endswith(".") and value is None:
            continue
        else:
            out[key] = value
    return out
