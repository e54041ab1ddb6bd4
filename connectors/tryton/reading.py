"""Keyset reads of one Tryton model in (stamp, id) order, ties safe across page boundaries.

For the `create_date` cursor one stream is enough. For `write_date` the stamp
is COALESCE(write_date, create_date), which Tryton cannot sort by, so two
keyset streams are merged: records with a write_date ordered by (write_date,
id) and never-edited records (write_date NULL) ordered by (create_date, id).
Each stream pages with `[stamp > s] OR [stamp = s AND id > i]` after its last
row, never by offset, so many records sharing one transaction's stamp are
neither lost nor repeated at a page boundary, and rows changing while we page
move forward (they are read again later or by the next run), never backward.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from officebridge.errors import RemoteProtocolError

Domain = list[Any]
Fetch = Callable[[Domain, list[list[str]], int], list[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Window:
    """since <= stamp < until (naive UTC, either open), read `size` rows per call."""

    since: datetime | None
    until: datetime | None
    size: int


def _stream(
    fetch: Fetch, base: Domain, stamp: str, window: Window
) -> Iterator[tuple[datetime, int, dict[str, Any]]]:
    """Rows of `base` ordered by (stamp, id), since <= stamp < until."""
    since, until, size = window.since, window.until, window.size
    last: tuple[datetime, int] | None = None
    order = [[stamp, "ASC"], ["id", "ASC"]]
    while True:
        domain = list(base)
        if until is not None:
            domain.append([stamp, "<", until])
        if last is not None:
            domain.append(["OR", [stamp, ">", last[0]], [[stamp, "=", last[0]], ["id", ">", last[1]]]])
        elif since is not None:
            domain.append([stamp, ">=", since])
        rows = fetch(domain, order, size)
        for row in rows:
            yield row[stamp], int(row["id"]), row
        if len(rows) < size:
            return
        key = (rows[-1][stamp], int(rows[-1]["id"]))
        if last is not None and key <= last:  # the server ignored our keyset bound: never loop forever
            raise RemoteProtocolError(f"Tryton answered a page that does not move past {last}")
        last = key


def ordered_rows(
    fetch: Fetch, base: Domain, cursor: str, window: Window
) -> Iterator[tuple[datetime, dict[str, Any]]]:
    """(stamp, row) in (stamp, id) order; `write_date` means COALESCE(write_date, create_date)."""
    if cursor != "write_date":
        for stamp, _, row in _stream(fetch, base, cursor, window):
            yield stamp, row
        return
    edited = _stream(fetch, [*base, ["write_date", "!=", None]], "write_date", window)
    fresh = _stream(fetch, [*base, ["write_date", "=", None]], "create_date", window)
    for stamp, _, row in heapq.merge(edited, fresh, key=lambda item: (item[0], item[1])):
        yield stamp, row
