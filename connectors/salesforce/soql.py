"""Build the SOQL the connector sends, and parse Salesforce datetimes.

Values are quoted by simple-salesforce's own `quote_soql_value` (strings escaped,
datetimes in UTC without fractions, as `format_soql` does), so our queries quote
exactly as the client library documents. Naive datetimes are taken as UTC here
rather than as local time, because every cursor in officebridge is UTC.

Queries go over GET, so the real ceiling is not SOQL's 100,000-character limit
but the REST API's 16,384 bytes for the URI plus headers (longer gives 414 or
431). `in_chunks` therefore splits IN lists by their URL-encoded length.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote_plus

from simple_salesforce.format import quote_soql_value

from connectors.salesforce.manifest import WIRE
from officebridge.errors import ConfigError

MAX_SOQL_CHARS = 100_000  # Salesforce's default limit on a SOQL statement
# URI + headers must stay under 16,384 bytes; leave room for the instance URL and headers.
MAX_ENCODED_QUERY = 12_000
DEFAULT_CURSOR = "SystemModstamp"


def quote(value: Any) -> str:
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return quote_soql_value(value)
    except ValueError:
        raise ConfigError(f"cannot use a value of type {type(value).__name__} in SOQL") from None


def select_list(
    fields: Sequence[str], *, include_deleted: bool, cursor_field: str = DEFAULT_CURSOR
) -> list[str]:
    """Id, the cursor field, [IsDeleted,] then the caller's fields, without duplicates (case-insensitive)."""
    check_name(cursor_field)
    head = ["Id", cursor_field] + (["IsDeleted"] if include_deleted else [])
    seen = {name.lower() for name in head}
    out = list(head)
    for name in fields:
        if not name or not all(ch.isalnum() or ch in "_." for ch in name):
            raise ConfigError(f"{name!r} is not a Salesforce field name")
        if name.lower() not in seen:
            seen.add(name.lower())
            out.append(name)
    return out


def read_query(
    object_name: str,
    fields: Sequence[str],
    *,
    since: datetime | None,
    where: str | None,
    include_deleted: bool,
    cursor_field: str = DEFAULT_CURSOR,
    until: datetime | None = None,
) -> str:
    """SELECT ... WHERE cursor >= since [AND cursor < until] [AND (where)] ORDER BY cursor, Id.

    The inclusive `>=` re-reads records stamped exactly at the watermark; the
    engine's overlap window expects that. Ordering by Id as well makes the order
    total, so records sharing one stamp come back in a stable order.
    """
    check_name(object_name)
    conditions = []
    if since is not None:
        conditions.append(f"{cursor_field} >= {quote(since)}")
    if until is not None:
        conditions.append(f"{cursor_field} < {quote(until)}")
    if where:
        conditions.append(f"({where})")
    columns = select_list(fields, include_deleted=include_deleted, cursor_field=cursor_field)
    soql = f"SELECT {', '.join(columns)} FROM {object_name}"
    if conditions:
        soql += " WHERE " + " AND ".join(conditions)
    return soql + f" ORDER BY {cursor_field}, Id"


def check_name(name: str) -> None:
    if not name or not all(ch.isalnum() or ch == "_" for ch in name):
        raise ConfigError(f"{name!r} is not a Salesforce object or field name")


def _unique(names: Sequence[str]) -> list[str]:
    """Each field once: Salesforce refuses `SELECT Id, Id` ("duplicate field selected")."""
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(name.lower(), name)
    return list(seen.values())


def in_chunks(
    object_name: str, field_name: str, values: Sequence[Any], select: Sequence[str] = ()
) -> Iterator[str]:
    """`SELECT Id, f FROM obj WHERE f IN (...) ORDER BY Id`, split so each query fits in a GET URL.

    `select` replaces the selected list (default: Id and the field itself).
    """
    check_name(object_name)
    check_name(field_name)
    wanted = select or ("Id", field_name)
    columns = ", ".join(_unique(wanted))
    head = f"SELECT {columns} FROM {object_name} WHERE {field_name} IN ("
    tail = ") ORDER BY Id"
    budget = MAX_ENCODED_QUERY - len(quote_plus(head + tail))
    chunk: list[str] = []
    used = 0
    for value in values:
        literal = quote(value)
        cost = len(quote_plus(literal)) + 3  # the "," separator, encoded
        if cost > budget:
            raise ConfigError(f"lookup value for {object_name}.{field_name} is too long for a SOQL query")
        if chunk and used + cost > budget:
            yield head + ",".join(chunk) + tail
            chunk, used = [], 0
        chunk.append(literal)
        used += cost
    if chunk:
        yield head + ",".join(chunk) + tail


def parse_datetime(text: str) -> datetime:
    """Salesforce's `2026-01-02T03:04:05.000+0000` (or `Z`) as an aware UTC datetime."""
    value = WIRE.parse_datetime(text)
    if value is None:
        raise ValueError(f"{text!r} is not a Salesforce datetime")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def jsonable(value: Any) -> Any:
    """Write values as Salesforce's JSON expects: datetimes in UTC ISO form, dates as YYYY-MM-DD."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "as_tuple") and hasattr(value, "is_finite"):  # decimal.Decimal
        return float(value)
    return value
