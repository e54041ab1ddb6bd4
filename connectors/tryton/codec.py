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
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any


def _datetime(o: dict[str, Any]) -> datetime:
    return datetime(o["year"], o["month"], o["day"], o.get("hour", 0), o.get("minute", 0), o.get("second", 0),
                    o.get("microsecond", 0))  # fmt: skip


DECODERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "datetime": _datetime,
    "date": lambda o: date(o["year"], o["month"], o["day"]),
    "time": lambda o: time(o.get("hour", 0), o.get("minute", 0), o.get("second", 0), o.get("microsecond", 0)),
    "timedelta": lambda o: timedelta(seconds=float(o["seconds"])),
    "Decimal": lambda o: Decimal(str(o["decimal"])),
    "bytes": lambda o: base64.b64decode(o["base64"]),
}


def decode_hook(obj: dict[str, Any]) -> Any:
    """`json.loads(object_hook=...)`: tagged objects become Python values."""
    decoder = DECODERS.get(str(obj.get("__class__")))
    return obj if decoder is None else decoder(obj)


def _tag_datetime(value: datetime) -> dict[str, Any]:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return {"__class__": "datetime", "year": value.year, "month": value.month, "day": value.day,
            "hour": value.hour, "minute": value.minute, "second": value.second,
            "microsecond": value.microsecond}  # fmt: skip


def _tag_scalar(value: Any) -> Any:  # noqa: PLR0911 - one branch per tagged type
    if isinstance(value, datetime):
        return _tag_datetime(value)
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
    return value


def encode(value: Any) -> Any:
    """A Python value (nested in lists/dicts) in Tryton's tagged JSON form."""
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    return _tag_scalar(value)


PLAIN: tuple[tuple[type | tuple[type, ...], Callable[[Any], Any]], ...] = (
    (datetime, lambda v: v.isoformat(timespec="microseconds")),
    ((date, time), lambda v: v.isoformat()),
    (timedelta, lambda v: v.total_seconds()),
    (Decimal, float),
    (bytes, lambda v: base64.b64encode(v).decode()),
)


def plain(value: Any, native_type: str = "") -> Any:
    """A decoded Tryton value as a plain JSON-able value for the engine."""
    if native_type == "boolean" and isinstance(value, int):
        return bool(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    for kind, convert in PLAIN:
        if isinstance(value, kind):
            return convert(value)
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
