"""Date and datetime conversions that never guess a time zone.

Salesforce datetimes carry an offset (`2026-01-02T03:04:05.000+0000`); Odoo
datetimes are naive strings that mean UTC (`2026-01-02 03:04:05`). A naive
value is converted only when the mapping says what it means (`assume: <IANA
zone>`, or `from: odoo`); otherwise it is a record error. Local times that do
not exist or happen twice at a daylight-saving change are errors too, because
picking one would be a guess.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from officebridge.mapping.values import ValueProblem

TARGETS = ("odoo", "salesforce", "iso")
ORIGINS = ("odoo", "salesforce", "iso")


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


def _parse(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        raise ValueProblem("NOT_DATETIME", "is a date, not a datetime", value)
    if not isinstance(value, str):
        raise ValueProblem("NOT_DATETIME", "is not a datetime", value)
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueProblem("NOT_DATETIME", "is not a datetime", value) from None


def _format(moment: datetime, to: str) -> str:
    utc = moment.astimezone(UTC)
    if to == "odoo":
        return utc.strftime("%Y-%m-%d %H:%M:%S")
    if to == "salesforce":
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"
    return utc.isoformat()


def datetime_converter(to: str, assume: str | None, origin: str | None) -> Callable[[Any], Any]:
    """Build the converter; `to`/`assume`/`origin` were checked at load time."""
    naive_tz: tzinfo | None = zone(assume) if assume else (UTC if origin == "odoo" else None)

    def convert(value: Any) -> Any:
        if value is None or value == "":
            return None
        moment = _parse(value)
        if moment.tzinfo is None:
            if naive_tz is None:
                raise ValueProblem(
                    "NAIVE_DATETIME",
                    "has no time zone; say what it means with `assume: <zone>` (or `from: odoo`)",
                    value,
                )
            moment = _localize(moment, naive_tz)
        return _format(moment, to)

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
