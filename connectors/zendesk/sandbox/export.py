"""The incremental exports: cursor-based (tickets, users) and time-based (all three).

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
