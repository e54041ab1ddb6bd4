"""The REST routes of the sandbox: a table of (method, path pattern) -> handler.

Each handler gets the parsed request and returns (status, JSON body) or raises
`ApiError`. Paths follow zenpy 2.0.57's endpoints (`lib/endpoint.py`), with
and without the `.json` suffix, as Zendesk accepts both.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connectors.zendesk.sandbox import errors, export, objects
from connectors.zendesk.sandbox.errors import Invalid
from connectors.zendesk.sandbox.jobs import Jobs
from connectors.zendesk.sandbox.store import Store
from connectors.zendesk.sandbox.writer import Writer
from officebridge.sandboxkit import Request

MAX_MANY = 100
SEARCH_LAG = 15  # seconds before a change is found by search (Zendesk's index lags; see README)
KINDS = "organizations|users|tickets"
Reply = tuple[int, dict[str, Any] | None]


@dataclass(frozen=True, slots=True)
class Ctx:
    request: Request
    match: re.Match[str]
    base: str  # https://host, as the client addressed us

    def group(self, name: str) -> str:
        return str(self.match.group(name))

    def body(self) -> dict[str, Any]:
        try:
            data = json.loads(self.request.body or b"{}")
        except ValueError:
            raise errors.bad_request("The request body is not valid JSON", "InvalidJSON") from None
        if not isinstance(data, dict):
            raise errors.bad_request("The request body must be a JSON object", "InvalidJSON")
        return data


Handler = Callable[[Ctx], Reply]


class Api:
    def __init__(self, store: Store, writer: Writer, jobs: Jobs, me: dict[str, Any]) -> None:
        self.store, self.writer, self.jobs, self.me = store, writer, jobs, me
        r = rf"^/api/v2/(?P<kind>{KINDS})"
        self.routes: list[tuple[str, re.Pattern[str], str, Handler]] = [
            ("GET", re.compile(r"^/api/v2/users/me(\.json)?$"), "users.me",
             lambda c: (200, {"user": self.me})),
            ("GET", re.compile(r"^/api/v2/incremental/(?P<kind>tickets|users)/cursor(\.json)?$"),
             "incremental.cursor", self.cursor_export),
            ("GET", re.compile(r"^/api/v2/incremental/ticket_events(\.json)?$"), "ticket_events.incremental",
             lambda c: (200, export.ticket_events_page(self.store, dict(c.request.query), c.base))),
            ("GET", re.compile(r"^/api/v2/organizations/(?P<id>\d+)/tickets(\.json)?$"),
             "organizations.tickets", self.organization_tickets),
            ("GET", re.compile(rf"^/api/v2/incremental/(?P<kind>{KINDS})(\.json)?$"), "incremental.time",
             self.time_export),
            ("GET", re.compile(r"^/api/v2/job_statuses/(?P<id>\w+)(\.json)?$"), "job_statuses.show",
             self.job),
            ("GET", re.compile(r"^/api/v2/search(\.json)?$"), "search", self.search),
            ("GET", re.compile(rf"{r}/show_many(\.json)?$"), "show_many", self.show_many),
            ("POST", re.compile(r"^/api/v2/users/create_or_update_many(\.json)?$"), "create_or_update_many",
             lambda c: self.many(c, "users", "create_or_update", "bulk_create_or_update")),
            ("POST", re.compile(r"^/api/v2/(?P<kind>organizations|users)/create_or_update(\.json)?$"),
             "create_or_update", self.create_or_update),
            ("POST", re.compile(rf"{r}/create_many(\.json)?$"), "create_many",
             lambda c: self.many(c, c.group("kind"), "create", "bulk_create")),
            ("PUT", re.compile(rf"{r}/update_many(\.json)?$"), "update_many", self.update_many),
            ("DELETE", re.compile(rf"{r}/destroy_many(\.json)?$"), "destroy_many", self.destroy_many),
            ("GET", re.compile(rf"{r}/(?P<id>\d+)(\.json)?$"), "show", self.show),
            ("PUT", re.compile(rf"{r}/(?P<id>\d+)(\.json)?$"), "update", self.update),
            ("DELETE", re.compile(rf"{r}/(?P<id>\d+)(\.json)?$"), "destroy", self.destroy),
            ("POST", re.compile(rf"{r}(\.json)?$"), "create", self.create),
        ]  # fmt: skip

    def route(self, request: Request) -> tuple[str, str, Handler, re.Match[str]] | None:
        """(route, operation, handler, match) for a request, or None for an unknown endpoint."""
        for method, pattern, name, handler in self.routes:
            found = pattern.match(request.path)
            if found and method == request.method:
                kind = found.groupdict().get("kind")
                operation = f"{kind}.{name}" if kind and not name.startswith("incremental") else name
                if name.startswith("incremental"):
                    operation = f"{kind}.{name.replace('.', '_')}"
                return pattern.pattern, operation, handler, found
        return None

    # -- reads --------------------------------------------------------------------------------

    def cursor_export(self, c: Ctx) -> Reply:
        return 200, export.cursor_page(self.store, c.group("kind"), dict(c.request.query), c.base)

    def time_export(self, c: Ctx) -> Reply:
        return 200, export.time_page(self.store, c.group("kind"), dict(c.request.query), c.base)

    def organization_tickets(self, c: Ctx) -> Reply:
        org_id = int(c.group("id"))
        if self.store.get("organizations", org_id) is None:
            raise errors.not_found()
        return 200, export.organization_tickets_page(self.store, org_id, dict(c.request.query), c.base)

    def show(self, c: Ctx) -> Reply:
        kind = c.group("kind")
        found = self.store.get(kind, int(c.group("id")))
        if found is None or (kind == "tickets" and found.get("status") == "deleted"):
            raise errors.not_found()
        return 200, {objects.SINGULAR[kind]: found}

    def show_many(self, c: Ctx) -> Reply:
        kind, query = c.group("kind"), c.request.query
        column = "external_id" if "external_ids" in query and kind != "tickets" else "id"
        raw = query.get("external_ids" if column == "external_id" else "ids", "")
        values: list[Any] = [v.strip() for v in raw.split(",") if v.strip()]
        if len(values) > MAX_MANY:
            raise errors.bad_request(f"Too many values: at most {MAX_MANY}", "TooManyValues")
        if column == "id":
            values = [int(v) for v in values if v.isdigit()]
        found = self.store.many(kind, column, values)
        if kind == "tickets":
            found = [t for t in found if t.get("status") != "deleted"]
        return 200, {kind: found, "next_page": None, "previous_page": None, "count": len(found)}

    def search(self, c: Ctx) -> Reply:
        terms: dict[str, list[str]] = {}
        for token in re.findall(r'(\w+):("[^"]*"|\S+)', c.request.query.get("query", "")):
            terms.setdefault(token[0], []).append(token[1].strip('"'))
        kind = {"user": "users", "organization": "organizations", "ticket": "tickets"}.get(
            (terms.pop("type", None) or [""])[0]
        )
        if kind is None:
            raise errors.unprocessable("Search needs a type: filter in the sandbox", "invalid")
        indexed_until = int(self.store.now()) - SEARCH_LAG
        results = []
        for record in self.store.by_time(kind, start=0, until=indexed_until, limit=1_000_000):
            data = record.data
            if all(str(data.get(k) or "").lower() in {v.lower() for v in vs} for k, vs in terms.items()):
                results.append({**data, "result_type": objects.SINGULAR[kind]})
        results = results[:1000]
        return 200, {"results": results, "count": len(results), "next_page": None, "previous_page": None,
                     "facets": None}  # fmt: skip

    def job(self, c: Ctx) -> Reply:
        found = self.jobs.get(c.group("id"))
        if found is None:
            raise errors.not_found()
        return 200, {"job_status": self.jobs.body(found, c.base.removeprefix("https://"))}

    # -- single writes --------------------------------------------------------------------------

    def _one(self, kind: str, action: str, data: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        item = self.writer.receive(kind, action, data)
        try:
            outcome = self.writer.apply(kind, item)
        except Invalid as problem:
            raise errors.invalid(problem, kind) from None
        except LookupError:
            raise errors.not_found() from None
        return outcome.record, outcome.created

    def _payload(self, c: Ctx, kind: str) -> dict[str, Any]:
        data = c.body().get(objects.SINGULAR[kind])
        if not isinstance(data, dict):
            raise errors.bad_request(f"The body needs a {objects.SINGULAR[kind]!r} object", "InvalidJSON")
        return data

    def create(self, c: Ctx) -> Reply:
        kind = c.group("kind")
        record, _ = self._one(kind, "create", {k: v for k, v in self._payload(c, kind).items() if k != "id"})
        return 201, {objects.SINGULAR[kind]: record}

    def create_or_update(self, c: Ctx) -> Reply:
        kind = c.group("kind")
        record, created = self._one(kind, "create_or_update", self._payload(c, kind))
        return (201 if created else 200), {objects.SINGULAR[kind]: record}

    def update(self, c: Ctx) -> Reply:
        kind = c.group("kind")
        data = {**self._payload(c, kind), "id": int(c.group("id"))}
        record, _ = self._one(kind, "update", data)
        return 200, {objects.SINGULAR[kind]: record}

    def destroy(self, c: Ctx) -> Reply:
        self._one(c.group("kind"), "delete", {"id": int(c.group("id"))})
        return 204, None

    # -- bulk writes (jobs) ---------------------------------------------------------------------

    def _job(self, kind: str, action: str, job_type: str, items: list[dict[str, Any]], c: Ctx) -> Reply:
        if not items:
            raise errors.bad_request(f"No {kind} given", "InvalidValue")
        if len(items) > MAX_MANY:
            raise errors.bad_request(
                f"Too many values: at most {MAX_MANY} {kind} per request", "TooManyValues"
            )
        job = self.jobs.submit(kind, job_type, [self.writer.receive(kind, action, i) for i in items])
        return 200, {"job_status": self.jobs.body(job, c.base.removeprefix("https://"))}

    def many(self, c: Ctx, kind: str, action: str, job_type: str) -> Reply:
        items = c.body().get(kind)
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise errors.bad_request(f"The body needs a {kind!r} list", "InvalidJSON")
        if action == "create":
            items = [{k: v for k, v in i.items() if k != "id"} for i in items]
        return self._job(kind, action, job_type, items, c)

    def update_many(self, c: Ctx) -> Reply:
        kind, query, body = c.group("kind"), c.request.query, c.body()
        if "ids" in query or "external_ids" in query:  # one change applied to every listed record
            change = body.get(objects.SINGULAR[kind]) or {}
            key = "external_ids" if "external_ids" in query else "ids"
            field = "external_id" if key == "external_ids" else "id"
            values = [v for v in query[key].split(",") if v]
            items = [{**change, field: int(v) if field == "id" else v} for v in values]
        else:
            items = body.get(kind) or []
        return self._job(kind, "update", "bulk_update", items, c)

    def destroy_many(self, c: Ctx) -> Reply:
        kind, query = c.group("kind"), c.request.query
        ids = [int(v) for v in query.get("ids", "").split(",") if v.strip().isdigit()]
        return self._job(kind, "delete", "bulk_delete", [{"id": i} for i in ids], c)
