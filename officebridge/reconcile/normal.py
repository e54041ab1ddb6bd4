"""Values as comparison sees them: one normal form for what a mapping writes and what a system reads back.

A system rarely hands back exactly what was written: Odoo reads an empty
char as `False` and a many2one as `[id, name]`, a lookup resolved to the
text id "233" reads back as the number 233, a datetime written as an aware
Python value reads back as the system's wire text, a decimal 12.5 as 12.50.
None, "" and False are all "empty"; numbers compare by value; a reference
compares by id; a many-reference as the set of its ids; datetimes as UTC to
the second (several systems keep no fractions). Text is compared as it is:
a difference of case or spaces is drift.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from officebridge.connector import FieldKind, WireFormat

EMPTY = None
_NUMERIC = {FieldKind.INTEGER, FieldKind.DECIMAL, FieldKind.REFERENCE, FieldKind.ID}


def _number(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _moment(value: Any, wire: WireFormat | None) -> datetime | None:
    if isinstance(value, datetime):
        moment: datetime | None = value
    elif isinstance(value, str) and value.strip():
        moment = None
        if wire is not None:
            try:
                moment = wire.parse_datetime(value)
            except (ValueError, TypeError):
                moment = None
        if moment is None:
            try:
                moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                return None
    else:
        return None
    assert moment is not None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # naive: the system's own UTC
    return moment.astimezone(UTC).replace(microsecond=0)


def normal(value: Any, kind: FieldKind = FieldKind.OTHER, wire: WireFormat | None = None) -> Any:
    """The comparable form of one value of a field of `kind`."""
    if value is None or value is False or (isinstance(value, str) and value == ""):
        return EMPTY
    if (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], int)
        and isinstance(value[1], str)
    ):
        value = value[0]  # a many2one read as [id, display name]
    if isinstance(value, list | tuple | set | frozenset):
        items = [
            normal(v, FieldKind.OTHER if kind is FieldKind.MULTI_REFERENCE else kind, wire) for v in value
        ]
        kept = [i for i in items if i is not EMPTY]
        return tuple(sorted(kept, key=repr)) if kept else EMPTY
    return True if value is True else _scalar(value, kind, wire)


def _scalar(value: Any, kind: FieldKind, wire: WireFormat | None) -> Any:
    if kind is FieldKind.DATETIME:
        moment = _moment(value, wire)
        return moment if moment is not None else value
    if kind is FieldKind.DATE:
        return value.isoformat()[:10] if isinstance(value, datetime | date) else str(value)[:10]
    if isinstance(value, int | float | Decimal):
        return _number(value)
    if isinstance(value, str) and kind in _NUMERIC:
        number = _number(value)
        return number if number is not None else value
    return value


def same(
    expected: Any, actual: Any, kind: FieldKind = FieldKind.OTHER, wire: WireFormat | None = None
) -> bool:
    """Whether a mapped value and the value the target holds are the same, in normal form."""
    a, b = normal(expected, kind, wire), normal(actual, kind, wire)
    if a == b:
        return True
    # a number on one side, its text on the other (a lookup's text id, a system that sends decimals as text)
    if isinstance(a, Decimal) and isinstance(b, str):
        return _number(b) == a
    if isinstance(b, Decimal) and isinstance(a, str):
        return _number(a) == b
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        return all(
            same(x, y, FieldKind.OTHER, wire)
            for x, y in zip(sorted(a, key=str), sorted(b, key=str), strict=True)
        )
    return False
