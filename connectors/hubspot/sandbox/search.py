"""CRM search as HubSpot answers it: filterGroups (OR of ANDs), one sort, offset paging, a 10,000 ceiling.

The request is checked first, with HubSpot's limits (5 filter groups, 10 filters
per group, 25 in all, at most 200 per page); a query may never page past
10,000 results (`after` >= 10000 is refused with 400), which is why a sync must
move its lower bound forward instead. Records that tie on the sort value come
back in an order of the index's own (here: by a hash of the id), not by id, as
HubSpot promises no order among ties. Only the index is searched, so recent
writes are missing until it catches up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from connectors.hubspot.sandbox.schema import ObjectType
from connectors.hubspot.sandbox.store import Row
from connectors.hubspot.sandbox.values import comparable

MAX_GROUPS, MAX_PER_GROUP, MAX_FILTERS, MAX_LIMIT = 5, 10, 25, 200
DEFAULT_CEILING = 10_000


class SearchRefused(ValueError):
    """The request breaks a rule of the search API (the sandbox answers 400 VALIDATION_ERROR)."""


def _value(obj: ObjectType, row: Row, name: str) -> Any:
    if name in ("hs_object_id", "id"):
        return float(row.id)
    return comparable(obj.props.get(name), row.props.get(name))


def _predicate(obj: ObjectType, spec: dict[str, Any]) -> Callable[[Row], bool]:
    name, op = spec.get("propertyName"), str(spec.get("operator", "EQ")).upper()
    if not isinstance(name, str) or name not in obj.props:
        raise SearchRefused(f"Invalid input JSON on line 1: unknown property {name!r} in filter")
    prop = obj.props[name]
    target = comparable(prop, spec.get("value"))
    high = comparable(prop, spec.get("highValue"))
    many = [comparable(prop, v) for v in spec.get("values") or []]
    ops: dict[str, Callable[[Any], bool]] = {
        "EQ": lambda v: v == target,
        "NEQ": lambda v: v != target,
        "LT": lambda v: v is not None and target is not None and v < target,
        "LTE": lambda v: v is not None and target is not None and v <= target,
        "GT": lambda v: v is not None and target is not None and v > target,
        "GTE": lambda v: v is not None and target is not None and v >= target,
        "BETWEEN": lambda v: (
            v is not None and target is not None and high is not None and target <= v <= high
        ),
        "IN": lambda v: v in many,
        "NOT_IN": lambda v: v not in many,
        "HAS_PROPERTY": lambda v: v is not None,
        "NOT_HAS_PROPERTY": lambda v: v is None,
        "CONTAINS_TOKEN": lambda v: v is not None and str(target).strip("*") in str(v),
        "NOT_CONTAINS_TOKEN": lambda v: v is None or str(target).strip("*") not in str(v),
    }
    test = ops.get(op)
    if test is None:
        raise SearchRefused(f"Invalid input JSON on line 1: unknown operator {op!r}")
    return lambda row: test(_value(obj, row, name))


def matcher(obj: ObjectType, groups: Any) -> Callable[[Row], bool]:
    if not groups:
        return lambda row: True
    if not isinstance(groups, list) or len(groups) > MAX_GROUPS:
        raise SearchRefused(f"filterGroups must be a list of at most {MAX_GROUPS} groups")
    compiled: list[list[Callable[[Row], bool]]] = []
    total = 0
    for group in groups:
        filters = group.get("filters") if isinstance(group, dict) else None
        if not isinstance(filters, list) or len(filters) > MAX_PER_GROUP:
            raise SearchRefused(f"each filter group holds a list of at most {MAX_PER_GROUP} filters")
        total += len(filters)
        compiled.append([_predicate(obj, f) for f in filters])
    if total > MAX_FILTERS:
        raise SearchRefused(f"a search may use at most {MAX_FILTERS} filters, not {total}")
    return lambda row: any(all(test(row) for test in group) for group in compiled)


def _sort(obj: ObjectType, sorts: Any) -> tuple[str, bool]:
    """(property, descending) of `{"propertyName", "direction"}` or a property name ("-name": descending)."""
    if not sorts:
        return "hs_object_id", False
    if not isinstance(sorts, list) or len(sorts) > 1:
        raise SearchRefused("a search takes one sort")
    spec = sorts[0]
    if isinstance(spec, str):
        name, descending = spec.lstrip("-"), spec.startswith("-")
    elif isinstance(spec, dict):
        name, descending = (
            str(spec.get("propertyName")),
            str(spec.get("direction", "")).upper() == "DESCENDING",
        )
    else:
        raise SearchRefused("a sort is an object with propertyName and direction")
    if name not in obj.props:
        raise SearchRefused(f"unknown sort property {name!r}")
    return name, descending


def _tie_order(row: Row) -> bytes:
    return hashlib.blake2b(str(row.id).encode(), digest_size=4).digest()


def search(
    obj: ObjectType, rows: list[Row], body: dict[str, Any], ceiling: int
) -> tuple[list[Row], int, int]:
    """(the page, the total, the offset of the page) for a search request body."""
    limit = body.get("limit", 10)
    if not isinstance(limit, int) or not 0 < limit <= MAX_LIMIT:
        raise SearchRefused(f"limit must be between 1 and {MAX_LIMIT}, not {limit!r}")
    after = str(body.get("after") or "0")
    if not after.isdigit():
        raise SearchRefused(f"after must be a number, not {after!r}")
    offset = int(after)
    if offset >= ceiling:
        raise SearchRefused(f"paging past {ceiling} results is not allowed; narrow the query instead")
    keep = matcher(obj, body.get("filterGroups"))
    query = str(body.get("query") or "").casefold()
    found = [
        r
        for r in rows
        if keep(r) and (not query or any(query in str(v).casefold() for v in r.props.values() if v))
    ]
    name, descending = _sort(obj, body.get("sorts"))
    present = [r for r in found if _value(obj, r, name) is not None]
    absent = [r for r in found if _value(obj, r, name) is None]
    present.sort(key=_tie_order)
    present.sort(key=lambda r: _value(obj, r, name), reverse=descending)
    ordered = present + sorted(absent, key=_tie_order)
    return ordered[offset : offset + limit], len(ordered), offset
