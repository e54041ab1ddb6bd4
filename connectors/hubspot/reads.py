"""Incremental reads through CRM search, walked by (modified stamp, record id) so ties and limits are safe.

Search sorts by one property and never pages past 10,000 results, and its
order among records sharing a stamp is its own. So a read never pages with
`after` at all; every query starts afresh from the last position (keyset
paging, the re-anchoring HubSpot's 10,000 ceiling demands, done at every page):

- a *stamp query* asks for stamps after the anchor, sorted by stamp; the
  records of its last stamp may be cut by the page end, so they are not used:
  that stamp becomes the new anchor;
- a *tie query* drains the anchor's stamp in id order
  (`stamp = anchor AND hs_object_id > last id`, sorted by id), however many
  records share it.

Records come out in (stamp, id) order, none twice, and records modified during
the read move behind the position instead of shifting a page over one not yet
read. Search lags writes by a few seconds (HubSpot's index is eventually
consistent): records written just before a read may only be seen by the next
one, which is what the engine's overlap window is for. Archived records are not
searchable: `archived` lists them (`GET ?archived=true`) and keeps those
archived in the window, to merge them by their archive stamp.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors.hubspot.client import HubSpotApi
from connectors.hubspot.records import cursor_of
from officebridge.errors import ConfigError

PAGE = 200  # the most search returns per call
LIST_PAGE = 100
MAX_FILTERS = 25


@dataclass(frozen=True, slots=True)
class Window:
    object_name: str
    cursor: str
    properties: list[str]
    since: datetime | None
    until: datetime | None
    groups: list[dict[str, Any]]  # the analyst's filterGroups (may be empty)


def _ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def _key(raw: dict[str, Any], cursor: str) -> tuple[datetime, int]:
    stamp = cursor_of(raw, cursor)
    assert stamp is not None
    return stamp, int(raw["id"])


def _groups(window: Window, extra: list[dict[str, Any]]) -> list[dict[str, Any]]:
    base = window.groups or [{"filters": []}]
    groups = [{"filters": [*g.get("filters", []), *extra]} for g in base]
    if sum(len(g["filters"]) for g in groups) > MAX_FILTERS:
        raise ConfigError(
            f"read {window.object_name}: the filter uses too many filters for HubSpot search "
            f"({MAX_FILTERS} at most, the cursor conditions included)"
        )
    return groups


class SearchWalk:
    def __init__(self, api: HubSpotApi, window: Window) -> None:
        self.api = api
        self.w = window

    def _search(self, filters: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
        body = {
            "filterGroups": _groups(self.w, filters),
            "sorts": [{"propertyName": sort, "direction": "ASCENDING"}],
            "properties": self.w.properties,
            "limit": PAGE,
        }
        reply = self.api.call(
            f"search {self.w.object_name}", self.api.search.do_search, self.w.object_name, body
        )
        results = reply.body.get("results") or []
        return [r for r in results if isinstance(r, dict) and "id" in r]

    def _until(self) -> list[dict[str, Any]]:
        return (
            []
            if self.w.until is None
            else [{"propertyName": self.w.cursor, "operator": "LT", "value": _ms(self.w.until)}]
        )

    def _ties(self, anchor: datetime) -> Iterator[list[dict[str, Any]]]:
        last = 0
        while True:
            page = self._search(
                [
                    {"propertyName": self.w.cursor, "operator": "EQ", "value": _ms(anchor)},
                    {"propertyName": "hs_object_id", "operator": "GT", "value": str(last)},
                ],
                "hs_object_id",
            )
            page.sort(key=lambda r: int(r["id"]))
            if page:
                yield page
                last = int(page[-1]["id"])
            if len(page) < PAGE:
                return

    def __iter__(self) -> Iterator[list[dict[str, Any]]]:
        anchor = self.w.since
        if anchor is not None:
            yield from self._ties(anchor)
        while True:
            after = (
                []
                if anchor is None
                else [{"propertyName": self.w.cursor, "operator": "GT", "value": _ms(anchor)}]
            )
            page = self._search([*after, *self._until()], self.w.cursor)
            page.sort(key=lambda r: _key(r, self.w.cursor))
            if len(page) < PAGE:  # the rest of the window, complete
                if page:
                    yield page
                return
            last_stamp = _key(page[-1], self.w.cursor)[0]
            done = [r for r in page if _key(r, self.w.cursor)[0] < last_stamp]
            if done:
                yield done
            anchor = last_stamp
            yield from self._ties(anchor)


def archived(api: HubSpotApi, window: Window) -> list[dict[str, Any]]:
    """Records archived within the window, sorted by (archive stamp, id); the archive is listed whole."""
    found: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        kw: dict[str, Any] = {"limit": LIST_PAGE, "archived": True, "properties": window.properties}
        if after:
            kw["after"] = after
        reply = api.call(f"list archived {window.object_name}", api.basic.get_page, window.object_name, **kw)
        for raw in reply.body.get("results") or []:
            stamp = cursor_of(raw, window.cursor)
            if stamp is None:
                continue
            if (window.since is None or stamp >= window.since) and (
                window.until is None or stamp < window.until
            ):
                found.append(raw)
        after = ((reply.body.get("paging") or {}).get("next") or {}).get("after")
        if not after:
            break
    found.sort(key=lambda r: _key(r, window.cursor))
    return found


def merged(
    live: Iterator[list[dict[str, Any]]], gone: list[dict[str, Any]], cursor: str, size: int
) -> Iterator[list[dict[str, Any]]]:
    """Both streams as one in (stamp, id) order, in chunks of at most `size`."""
    key: Callable[[dict[str, Any]], tuple[datetime, int]] = lambda r: _key(r, cursor)  # noqa: E731
    flat = heapq.merge((r for page in live for r in page), gone, key=key)
    chunk: list[dict[str, Any]] = []
    for raw in flat:
        chunk.append(raw)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
