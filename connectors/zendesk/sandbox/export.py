"""The incremental exports: cursor-based (tickets, users), time-based (all three, and ticket events).

Both leave out what changed in the last minute (the store's `export_lag`), as
Zendesk does to keep results consistent. The cursor export pages in change
order and its cursor is opaque (here: base64 of the last change sequence and the page size,
so `per_page` survives the resumption; zenpy drops `per_page` when it passes a
cursor). The time-based export pages by `generated_timestamp` and starts the
next page at the last record's second, so records sharing that second come
again on the next page: clients must de-duplicate on id, as Zendesk documents.
"""

from __future__ import annotations

import base64
from typing import Any

from connectors.zendesk.sandbox import errors
from connectors.zendesk.sandbox.store import Row, Store

CURSOR_MAX, TIME_MAX = 1000, 1000


def _per_page(query: dict[str, str]) -> int:
    raw = query.get("per_page") or str(CURSOR_MAX)
    if not raw.isdigit() or int(raw) < 1:
        raise errors.bad_request(f"per_page {raw!r} is not a positive integer")
    return min(int(raw), CURSOR_MAX)


def _start_time(query: dict[str, str], now: float, lag: int) -> int:
    raw = query.get("start_time", "")
    if not raw.lstrip("-").isdigit():
        raise errors.bad_request("start_time is required and must be a Unix epoch time", "InvalidValue")
    start = int(raw)
    if start > now - lag:
        raise errors.unprocessable("Too recent start_time. Use a start_time older than 1 minute")
    return start


def encode_cursor(seq: int, per_page: int) -> str:
    return base64.urlsafe_b64encode(f"{seq}|{per_page}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, int]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        seq, per_page = text.split("|")
        return int(seq), int(per_page)
    except (ValueError, UnicodeDecodeError):
        raise errors.bad_request("Invalid cursor", "InvalidPaginationParameter") from None


def _visible(kind: str, rows: list[Row], query: dict[str, str]) -> list[dict[str, Any]]:
    exclude = kind == "tickets" and query.get("exclude_deleted") == "true"
    return [r.data for r in rows if not (exclude and r.data.get("status") == "deleted")]


def cursor_page(store: Store, kind: str, query: dict[str, str], base: str) -> dict[str, Any]:
    now = store.now()
    if "cursor" in query:
        after, per_page = decode_cursor(query["cursor"])
        if "per_page" in query:
            per_page = _per_page(query)
    else:
        per_page = _per_page(query)
        after = store.first_seq_since(kind, _start_time(query, now, store.export_lag))
    until = int(now) - store.export_lag
    rows = store.changes(kind, after_seq=after, until=until, limit=per_page + 1)
    more = len(rows) > per_page
    rows = rows[:per_page]
    last = rows[-1].seq if rows else after
    after_cursor = encode_cursor(last, per_page)
    before_cursor = encode_cursor(rows[0].seq - 1, per_page) if rows else None
    url = f"{base}/api/v2/incremental/{kind}/cursor.json?cursor="
    return {
        kind: _visible(kind, rows, query),
        "after_url": url + after_cursor,
        "after_cursor": after_cursor,
        "before_url": url + before_cursor if before_cursor else None,
        "before_cursor": before_cursor,
        "end_of_stream": not more,
    }


def time_page(store: Store, kind: str, query: dict[str, str], base: str) -> dict[str, Any]:
    now = store.now()
    start = _start_time(query, now, store.export_lag)
    per_page = min(_per_page(query), TIME_MAX)
    rows = store.by_time(kind, start=start, until=int(now) - store.export_lag, limit=per_page)
    end_time = rows[-1].generated if rows else start
    return {
        kind: _visible(kind, rows, query),
        "count": len(rows),
        "end_time": end_time,
        "next_page": f"{base}/api/v2/incremental/{kind}.json?per_page={per_page}&start_time={end_time}",
        "end_of_stream": len(rows) < per_page,
    }


def ticket_events_page(store: Store, query: dict[str, str], base: str) -> dict[str, Any]:
    """The incremental ticket event export: time-based like the others, one event per ticket change,
    its `child_events` naming each changed field with its new value and `previous_value`."""
    now = store.now()
    start = _start_time(query, now, store.export_lag)
    per_page = min(_per_page(query), TIME_MAX)
    events = store.ticket_events(start=start, until=int(now) - store.export_lag, limit=per_page)
    end_time = events[-1]["timestamp"] if events else start
    next_page = f"{base}/api/v2/incremental/ticket_events.json?per_page={per_page}&start_time={end_time}"
    return {
        "ticket_events": events,
        "count": len(events),
        "end_time": end_time,
        "next_page": next_page,
        "end_of_stream": len(events) < per_page,
    }


def organization_tickets_page(store: Store, org_id: int, query: dict[str, str], base: str) -> dict[str, Any]:
    """`GET organizations/{id}/tickets`: live tickets by id, cursor-paged (`page[size]` at most 100,
    `page[after]`, `meta.has_more`, `links.next`) or, without `page[size]`, offset-paged."""
    url = f"{base}/api/v2/organizations/{org_id}/tickets.json"
    if "page[size]" in query or "page[after]" in query:
        raw = query.get("page[size]") or "100"
        if not raw.isdigit() or not 1 <= int(raw) <= 100:
            raise errors.bad_request("page[size] must be between 1 and 100", "InvalidPaginationParameter")
        size = int(raw)
        after = decode_cursor(query["page[after]"])[0] if query.get("page[after]") else 0
        rows = store.organization_tickets(org_id, after_id=after, limit=size + 1)
        more, rows = len(rows) > size, rows[:size]
        last = encode_cursor(rows[-1]["id"], size) if rows else None
        first = encode_cursor(rows[0]["id"] - 1, size) if rows else None
        return {
            "tickets": rows,
            "meta": {"has_more": more, "after_cursor": last, "before_cursor": first},
            "links": {"next": f"{url}?page[size]={size}&page[after]={last}" if more else None,
                      "prev": f"{url}?page[size]={size}&page[before]={first}" if first else None},
        }  # fmt: skip
    per_page = min(int(query.get("per_page", "100") or 100), 100)
    page = max(1, int(query.get("page", "1") or 1))
    rows = store.organization_tickets(org_id, after_id=0, limit=10**9)
    chunk = rows[(page - 1) * per_page : page * per_page]
    more = len(rows) > page * per_page
    return {"tickets": chunk, "count": len(rows),
            "next_page": f"{url}?page={page + 1}&per_page={per_page}" if more else None,
            "previous_page": f"{url}?page={page - 1}&per_page={per_page}" if page > 1 else None}  # fmt: skip
