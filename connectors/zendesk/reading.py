"""The incremental exports as `Page`s, each carrying the token to resume after it.

Tickets and users use the cursor export: the first call takes `start_time`,
each later one the previous page's `after_cursor`, until `end_of_stream`; the
token is Zendesk's cursor itself. Organizations only have the time-based
export, which restarts each page at the last record's second and so repeats
records sharing it; our token (`time:<end_time>:<ids seen at that second>`)
lets a page, and a later run, skip exactly those repeats. A Zendesk cursor is
base64, so it never contains the colon that marks our own tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from zenpy import Zenpy

from connectors.zendesk.manifest import WIRE
from officebridge.connector import Page, ReadRequest, SourceRecord
from officebridge.errors import ConfigError, RemoteProtocolError

TIME_PREFIX = "time:"
MAX_PAGE = 1000
Call = Callable[[str, Callable[[Zenpy], Any]], Any]


def export(kind: str, **params: Any) -> Callable[[Zenpy], Any]:
    """One export request, its parameters bound now (the retry loop may run it later, and again)."""
    return lambda client: getattr(client, kind).incremental(**params)


def is_deleted(kind: str, data: dict[str, Any]) -> bool:
    if kind == "tickets":
        return data.get("status") == "deleted"
    if kind == "users":
        return data.get("active") is False
    return False


def source_record(kind: str, data: dict[str, Any], fields: tuple[str, ...]) -> SourceRecord:
    wanted = fields or tuple(data)
    return SourceRecord(str(data["id"]), None, is_deleted(kind, data), {f: data.get(f) for f in wanted})


def _records(kind: str, values: Any, request: ReadRequest) -> list[SourceRecord]:
    out = []
    for value in values or []:
        data = value.to_dict()
        if request.include_deleted or not is_deleted(kind, data):
            out.append(source_record(kind, data, request.fields))
    return out


def _start_time(since: datetime | None) -> int:
    return 0 if since is None else int(since.timestamp())


def by_cursor(call: Call, request: ReadRequest, size: int) -> Iterator[Page]:
    kind, since = request.object, request.since
    if isinstance(since, str):
        if since.startswith(TIME_PREFIX):
            raise ConfigError(f"read {kind}: the stored watermark {since!r} is not a Zendesk cursor")
        token = since
        page = call(f"export {kind}", export(kind, cursor=token))
    else:
        start = _start_time(since)
        page = call(f"export {kind}", export(kind, start_time=start, per_page=size))
    previous = since
    while True:
        after = getattr(page, "after_cursor", None)
        if not isinstance(after, str) or not after:
            raise RemoteProtocolError(f"Zendesk export of {kind}: the answer has no after_cursor")
        records = _records(kind, page.values, request)
        if records or after != previous:
            yield Page(records, resume=after)
        if getattr(page, "end_of_stream", True):
            return
        previous = after
        page = call(f"export {kind}", export(kind, cursor=after))


def _second(data: dict[str, Any]) -> int:
    stamp = data.get("generated_timestamp")
    if isinstance(stamp, int):
        return stamp
    moment = WIRE.parse_datetime(data.get("updated_at"))
    return int(moment.timestamp()) if moment else 0


def parse_time_token(token: str) -> tuple[int, set[str]]:
    try:
        _, start, ids = token.split(":", 2)
        return int(start), {i for i in ids.split(",") if i}
    except ValueError:
        raise ConfigError(f"the stored watermark {token!r} is not a Zendesk time token") from None


def by_time(call: Call, request: ReadRequest, size: int) -> Iterator[Page]:
    """Time-based export, de-duplicated on (second, id) across pages and runs."""
    kind, since = request.object, request.since
    if isinstance(since, str):
        start, seen = parse_time_token(since)
    else:
        start, seen = _start_time(since), set()
    previous = since
    while True:
        page = call(f"export {kind}", export(kind, start_time=start, per_page=size))
        rows = [v.to_dict() for v in page.values or []]
        fresh = [r for r in rows if not (_second(r) == start and str(r["id"]) in seen)]
        end = int(getattr(page, "end_time", None) or start)
        at_end = {str(r["id"]) for r in rows if _second(r) == end} | (seen if end == start else set())
        token = f"{TIME_PREFIX}{end}:{','.join(sorted(at_end))}"
        records = [source_record(kind, r, request.fields) for r in fresh
                   if request.include_deleted or not is_deleted(kind, r)]  # fmt: skip
        if records or token != previous:
            yield Page(records, resume=token)
        if getattr(page, "end_of_stream", True):
            return
        if not fresh and end == start:
            raise RemoteProtocolError(
                f"Zendesk export of {kind}: more than {size} records share the second {end}; raise batch_size"
            )
        start, seen, previous = end, at_end, token
