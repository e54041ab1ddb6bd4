"""Date and datetime conversions that never guess a time zone.

Each system writes datetimes its own way, and its connector manifest says how
(`wire.parse_datetime` / `wire.format_datetime`) and whether its naive values
mean UTC (`naive_datetimes_are_utc`); this module keeps no system's format.
`to` and `from` name a style: `iso` or an installed system. A naive value is
converted only when its meaning is known (`assume: <IANA zone>`, or a `from`
system whose naive datetimes are UTC); otherwise it is a record error. Local
times that do not exist or happen twice at a daylight-saving change are
errors too, because picking one would be a guess.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from officebridge.connector import WireFormat, manifests
from officebridge.mapping.values import ValueProblem

ISO = "iso"


def styles() -> tuple[str, ...]:
    """What datetime `to` and `from` accept: `iso` and every installed system's name."""
    return (ISO, *sorted(manifests()))


def _wire(style: str | None) -> WireFormat | None:
    found = manifests().get(style) if style and style != ISO else None
    return found.wire if found is not None else None


def naive_is_utc(style: str | None) -> bool:
    found = manifests().get(style) if style and style != ISO else None
    return found is not None and found.naive_datetimes_are_utc


def _naive_hint() -> str:
    utc = [f"`from: {name}`" for name, m in sorted(manifests().items()) if m.naive_datetimes_are_utc]
    return f" (or {' / '.join(utc)})" if utc else ""


def zone(name: str) -> tzinfo | None:
    """The IANA zone, or None when the name is unknown."""
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _localize(naive: datetime, tz: tzinfo) -> datetime:
    if tz is UTC:
        return naive.replace(tzinfo=UTC)
    first, second = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    back = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if back != naive:
        raise ValueProblem("NONEXISTENT_TIME", f"does not exist in {tz} (a daylight-saving gap)", naive)
    if first.utcoffset() != second.utcoffset():
        raise ValueProblem("AMBIGUOUS_TIME", f"is ambiguous in {tz} (a daylight-saving change)", naive)
    return first


def _parse(value: Any, wire: WireFormat | None) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        raise ValueProblem("NOT_DATETIME", "is a date, not a datetime", value)
    if wire is None and not isinstance(value, str):
        raise ValueProblem("NOT_DATETIME", "is not a datetime", value)
    try:
        return wire.parse_datetime(value) if wire is not None else datetime.fromisoformat(value.strip())
    except (ValueError, TypeError):
        raise ValueProblem("NOT_DATETIME", "is not a datetime", value) from None


def _formatter(to: str) -> Callable[[datetime], Any]:
    wire = _wire(to)
    if wire is None:
        return lambda moment: moment.astimezone(UTC).isoformat()
    return wire.format_datetime


def datetime_converter(to: str, assume: str | None, origin: str | None) -> Callable[[Any], Any]:
    """Build the converter; `to`/`assume`/`origin` were checked at load time."""
    naive_tz: tzinfo | None = zone(assume) if assume else (UTC if naive_is_utc(origin) else None)
    wire, write, hint = _wire(origin), _formatter(to), _naive_hint()

    def convert(value: Any) -> Any:
        if value is None or value == "":
            return None
        moment = _parse(value, wire)
        if moment is None:
            return None
        if moment.tzinfo is None:
            if naive_tz is None:
                raise ValueProblem(
                    "NAIVE_DATETIME",
                    f"has no time zone; say what it means with `assume: <zone>`{hint}",
                    value,
                )
            moment = _localize(moment, naive_tz)
        return write(moment)

    return convert


def date_converter(from_format: str | None, to_format: str | None) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, datetime):
            raise ValueProblem("NOT_DATE", "is a datetime; use the datetime transform", value)
        if isinstance(value, date):
            day = value
        elif isinstance(value, str):
            try:
                day = (
                    datetime.strptime(value.strip(), from_format).date()
                    if from_format
                    else date.fromisoformat(value.strip())
                )
            except ValueError:
                want = f"format {from_format!r}" if from_format else "YYYY-MM-DD"
                raise ValueProblem("NOT_DATE", f"is not a date in {want}", value) from None
        else:
            raise ValueProblem("NOT_DATE", "is not a date", value)
        return day.strftime(to_format) if to_format else day.isoformat()

    return convert


def format_problem(fmt: Any) -> str | None:
    """Why a strftime/strptime format is unusable, or None."""
    if not isinstance(fmt, str) or "%" not in fmt:
        return "must be a date format such as '%d/%m/%Y'"
    try:
        sample = date(2026, 1, 31).strftime(fmt)
        datetime.strptime(sample, fmt)
    except ValueError as exc:
        return f"is not a usable date format ({exc})"
    return None
