"""The CRM v3 routes the sandbox serves, and how each request is named for stats and faults.

Routes (all under `/crm/v3`): `properties/{type}`; `objects/{type}` (list, with
`archived=true` for the archive), `objects/{type}/{id}` (GET, DELETE),
`objects/{type}/search`, `objects/{type}/batch/{create,read,update,upsert,archive}`.
`{type}` is contacts, companies or deals (singular names and `0-1`.. ids too).
Operation names, for `stats()["by_operation"]` and fault matching, are
`<type>.<verb>`: `contacts.search`, `companies.batch.create`, `deals.get`,
`contacts.list`, `contacts.properties`, ...
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from connectors.hubspot.sandbox import errors
from connectors.hubspot.sandbox.records import as_json, wanted
from connectors.hubspot.sandbox.schema import ObjectType, object_type
from connectors.hubspot.sandbox.search import SearchRefused, search
from connectors.hubspot.sandbox.store import Store
from connectors.hubspot.sandbox.writes import BatchRefused, Writer
from officebridge.sandboxkit.wire import Answer, Request

ROUTES = [
    ("GET", re.compile(r"^/crm/v3/properties/(?P<type>[^/]+)/?$"), "properties", "/crm/v3/properties/{type}"),
    (
        "POST",
        re.compile(r"^/crm/v3/objects/(?P<type>[^/]+)/search/?$"),
        "search",
        "/crm/v3/objects/{type}/search",
    ),
    (
        "POST",
        re.compile(r"^/crm/v3/objects/(?P<type>[^/]+)/batch/(?P<verb>create|read|update|upsert|archive)/?$"),
        "batch",
        "/crm/v3/objects/{type}/batch/{verb}",
    ),
    ("GET", re.compile(r"^/crm/v3/objects/(?P<type>[^/]+)/?$"), "list", "/crm/v3/objects/{type}"),
    (
        "GET",
        re.compile(r"^/crm/v3/objects/(?P<type>[^/]+)/(?P<id>[^/]+)/?$"),
        "get",
        "/crm/v3/objects/{type}/{id}",
    ),
    (
        "DELETE",
        re.compile(r"^/crm/v3/objects/(?P<type>[^/]+)/(?P<id>[^/]+)/?$"),
        "delete",
        "/crm/v3/objects/{type}/{id}",
    ),
]
MAX_LIST = 100


@dataclass(frozen=True, slots=True)
class Route:
    kind: str  # properties | search | batch | list | get | delete
    label: str  # the route for stats: METHOD + path template
    type_name: str
    verb: str | None = None
    object_id: str | None = None

    @property
    def operation(self) -> str:
        obj = object_type(self.type_name)
        name = obj.name if obj else self.type_name
        return f"{name}.batch.{self.verb}" if self.kind == "batch" else f"{name}.{self.kind}"


def route(request: Request) -> Route | None:
    for method, pattern, kind, template in ROUTES:
        found = pattern.match(request.path)
        if found and request.method == method:
            parts = found.groupdict()
            return Route(kind, f"{method} {template}", parts["type"], parts.get("verb"), parts.get("id"))
    return None


def _flag(value: str | None) -> bool:
    return str(value).lower() == "true"


class CrmApi:
    def __init__(self, store: Store, writer: Writer, lag: float, ceiling: int) -> None:
        self.store = store
        self.writer = writer
        self.lag = lag  # seconds before a write is visible to search
        self.ceiling = ceiling  # results a search query may page through

    def handle(self, request: Request, found: Route) -> Answer:
        obj = object_type(found.type_name)
        if obj is None:
            return errors.validation(f"Unable to infer object type from: {found.type_name}")
        try:
            body = json.loads(request.body) if request.body.strip() else {}
        except ValueError:
            return errors.validation("Invalid input JSON on line 1, column 1: the body is not JSON")
        try:
            return self._dispatch(request, found, obj, body)
        except BatchRefused as refused:
            return refused.answer
        except SearchRefused as refused:
            return errors.validation(str(refused))

    def _dispatch(self, request: Request, found: Route, obj: ObjectType, body: Any) -> Answer:
        q = request.query
        if found.kind == "properties":
            archived = _flag(q.get("archived"))
            results = [] if archived else [p.as_json() for p in obj.props.values()]
            return errors.answer(200, {"results": results})
        simple = {
            "search": lambda: self._search(obj, body),
            "list": lambda: self._list(obj, q),
            "get": lambda: self._get(obj, str(found.object_id), q),
            "delete": lambda: self.writer.archive(obj, {"inputs": [{"id": found.object_id}]}),
        }.get(found.kind)
        if simple is not None:
            return simple()
        verb = str(found.verb)
        if verb == "read":
            return self.writer.read(obj, body, _flag(q.get("archived")))
        handler = {
            "create": self.writer.create,
            "update": self.writer.update,
            "upsert": self.writer.upsert,
            "archive": self.writer.archive,
        }[verb]
        return handler(obj, body)

    def _search(self, obj: ObjectType, body: Any) -> Answer:
        if not isinstance(body, dict):
            raise SearchRefused("Invalid input JSON on line 1: expected an object")
        self.store.catch_up(self.lag)
        page, total, offset = search(obj, self.store.indexed(obj.name), body, self.ceiling)
        props = wanted(obj, body.get("properties"))
        out: dict[str, Any] = {"total": total, "results": [as_json(obj, r, props) for r in page]}
        if offset + len(page) < total:
            out["paging"] = {"next": {"after": str(offset + len(page))}}
        return errors.answer(200, out)

    def _list(self, obj: ObjectType, q: Any) -> Answer:
        limit = int(q.get("limit") or 10)
        if not 0 < limit <= MAX_LIST:
            return errors.validation(f"limit must be between 1 and {MAX_LIST}")
        after = str(q.get("after") or "0")
        rows = self.store.page(
            obj.name, int(after) if after.isdigit() else 0, limit + 1, archived=_flag(q.get("archived"))
        )
        props = wanted(obj, q.get("properties"))
        out: dict[str, Any] = {"results": [as_json(obj, r, props) for r in rows[:limit]]}
        if len(rows) > limit:
            nxt = str(rows[limit - 1].id)
            out["paging"] = {"next": {"after": nxt, "link": f"?after={nxt}"}}
        return errors.answer(200, out)

    def _get(self, obj: ObjectType, object_id: str, q: Any) -> Answer:
        archived = _flag(q.get("archived"))
        id_property = q.get("idProperty")
        if id_property:
            row = self.store.find(obj.name, id_property, [object_id], archived=archived).get(object_id)
        else:
            rows = self.store.get(
                obj.name, [int(object_id)] if object_id.isdigit() else [], archived=archived
            )
            row = rows.get(int(object_id)) if object_id.isdigit() else None
        if row is None:
            return errors.error(
                404,
                "OBJECT_NOT_FOUND",
                "Object not found.  objectId are usually numeric.",
                context={"id": [object_id]},
            )
        return errors.answer(200, as_json(obj, row, wanted(obj, q.get("properties"))))
