"""`ticket_summaries`: a derived, read-only object, one record per organization with tickets.

The engine maps one source record to one target record, so a per-account count
cannot be a mapping over tickets; it is an object of its own, read like any other.

What changed: the ticket cursor export (`incremental/tickets/cursor`) says which
tickets changed since the watermark, soft-deleted ones included (status
"deleted"), each with its *current* organization. It does not say where a moved
ticket was before, so each page also reads the ticket event export
(`incremental/ticket_events`, time-based) over the same stretch of time; a
`Change` child event on `organization_id` carries the old organization as
`previous_value`. Every organization named either way is recounted.

The window of events: our token is `summary:<high>:<ticket cursor>`, where
`high` is the newest `generated_timestamp` among the tickets read so far. Every
change at or before `high` was in the ticket export already read (both exports
hold back the same last minute and the cursor export is in change order), so the
events still to be read are those from `high` on; a page reads events from the
previous `high` (inclusive: a second may be split across pages) up to its own.
Reading an event twice only recounts an organization twice, which writes nothing.

The count: each affected organization is recounted from Zendesk itself, never
from the events: its external id through `organizations/show_many` (100 per
call) and its tickets through `organizations/{id}/tickets` (cursor-paged, 100 a
page), which leaves out deleted tickets and, as Zendesk documents for its ticket
lists, archived ones (closed long ago: `tickets` and `solved_tickets` omit them,
`open_tickets` never could hold one). An organization that no longer exists comes
as a deleted summary; one whose tickets all left comes with zero counts, so the
account it summarises is reset rather than left stale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from zenpy import Zenpy

from connectors.zendesk import reading
from connectors.zendesk.manifest import WIRE
from connectors.zendesk.schema import ID_PATTERN, K, _f
from officebridge.connector import ObjectInfo, Page, ReadRequest, SourceRecord, WriteOp, WriteResult
from officebridge.errors import ConfigError, RemoteProtocolError

OBJECT = "ticket_summaries"
PREFIX = "summary:"
OPEN = frozenset({"new", "open", "pending", "hold"})
SOLVED = frozenset({"solved", "closed"})
SHOW_MANY = 100
EVENTS_PAGE = 1000
READ_ONLY_CODE = "READ_ONLY_OBJECT"
TICKET_FIELDS = ("id", "organization_id", "status", "generated_timestamp")
Call = reading.Call

FIELDS = (
    _f("id", "integer", K.ID, readonly=True, pattern=ID_PATTERN),
    _f("organization_id", "integer", K.REFERENCE, readonly=True, reference_to=("organizations",)),
    _f("organization_external_id", "string", K.STRING, readonly=True),
    _f("organization_name", "string", K.STRING, readonly=True),
    _f("tickets", "integer", K.INTEGER, readonly=True),
    _f("open_tickets", "integer", K.INTEGER, readonly=True),
    _f("solved_tickets", "integer", K.INTEGER, readonly=True),
    _f("last_ticket_at", "date", K.DATETIME, readonly=True),
)


def object_info() -> ObjectInfo:
    return ObjectInfo(
        name=OBJECT, label="Ticket summaries (per organization)", fields={f.name: f for f in FIELDS}
    )


def refuse(op: WriteOp) -> WriteResult:
    """Summaries are counted from tickets; there is nothing in Zendesk a write could change."""
    return WriteResult.failure(
        op, READ_ONLY_CODE, f"{op.kind.value} refused: {OBJECT} is derived from tickets and read-only"
    )


def parse_token(token: str) -> tuple[int, str]:
    try:
        prefix, high, cursor = token.split(":", 2)
        if prefix + ":" != PREFIX or not cursor:
            raise ValueError
        return int(high), cursor
    except ValueError:
        raise ConfigError(f"the stored watermark {token!r} is not a Zendesk ticket-summary token") from None


def _events(**params: Any) -> Callable[[Zenpy], Any]:
    return lambda client: client.tickets.events(**params)


def _left(child: dict[str, Any]) -> int | None:
    """The organization a `Change` child event moved a ticket away from, if it is one.

    The export names the changed field as a key (`"organization_id": new`) beside
    `previous_value`; audits name it in `field_name`: both are read."""
    if child.get("event_type") != "Change":
        return None
    if child.get("field_name") != "organization_id" and "organization_id" not in child:
        return None
    previous = child.get("previous_value")
    return int(previous) if previous is not None and str(previous).isdigit() else None


def moved_from(call: Call, start: int, high: int) -> set[int]:
    """Organizations tickets left from `start` to `high` (inclusive), from the ticket event export."""
    found: set[int] = set()
    while True:
        page = call("export ticket_events", _events(start_time=start, per_page=EVENTS_PAGE))
        events = [e.to_dict() if hasattr(e, "to_dict") else dict(e) for e in page.values or []]
        for event in events:
            if int(event.get("timestamp") or 0) > high:
                return found
            found |= {o for o in map(_left, event.get("child_events") or []) if o is not None}
        end = int(getattr(page, "end_time", None) or start)
        if getattr(page, "end_of_stream", True) or not events:
            return found
        if end == start:
            raise RemoteProtocolError(
                f"Zendesk ticket events: more than {EVENTS_PAGE} share the second {end}"
            )
        start = end


def read(call: Call, request: ReadRequest, size: int) -> Iterator[Page]:
    """Pages of recounted summaries, one page per page of the ticket cursor export."""
    since = request.since
    high, cursor = parse_token(since) if isinstance(since, str) else (0, None)
    tickets = ReadRequest(object="tickets", fields=TICKET_FIELDS, since=cursor, include_deleted=True)
    for page in reading.by_cursor(call, tickets, size):
        affected = {int(r.fields["organization_id"]) for r in page.records if r.fields.get("organization_id")}
        stamps = [int(r.fields.get("generated_timestamp") or 0) for r in page.records]
        page_high = max([high, *stamps])
        if page.records:
            affected |= moved_from(call, high, page_high)
        summaries = [s for s in recount(call, sorted(affected), request.fields)
                     if request.include_deleted or not s.deleted]  # fmt: skip
        assert page.resume is not None
        high = page_high
        yield Page(summaries, resume=f"{PREFIX}{high}:{page.resume}")


def recount(call: Call, org_ids: Sequence[int], fields: Iterable[str] = ()) -> list[SourceRecord]:
    """The summary of each organization, counted now from Zendesk, in id order."""
    wanted = tuple(fields)
    out: list[SourceRecord] = []
    for start in range(0, len(org_ids), SHOW_MANY):
        chunk = list(org_ids[start : start + SHOW_MANY])
        orgs = {int(o.id): o.to_dict() for o in call("show_many organizations", _orgs(chunk))}
        for org_id in chunk:
            org = orgs.get(org_id)
            if org is None:  # gone: its tickets no longer belong to it
                out.append(SourceRecord(str(org_id), None, True, _pick(_empty(org_id, None), wanted)))
                continue
            listed = call(f"tickets of organization {org_id}", _org_tickets(org_id))
            summary = summarize(org, [t.to_dict() for t in listed])
            out.append(SourceRecord(str(org_id), None, False, _pick(summary, wanted)))
    return out


def summarize(org: dict[str, Any], tickets: list[dict[str, Any]]) -> dict[str, Any]:
    live = [t for t in tickets if t.get("status") != "deleted"]
    created = [str(t["created_at"]) for t in live if t.get("created_at")]
    return {
        **_empty(int(org["id"]), org),
        "tickets": len(live),
        "open_tickets": sum(1 for t in live if t.get("status") in OPEN),
        "solved_tickets": sum(1 for t in live if t.get("status") in SOLVED),
        "last_ticket_at": max(created, key=_moment) if created else None,
    }


def _moment(text: str) -> float:
    parsed = WIRE.parse_datetime(text)
    return parsed.timestamp() if parsed else 0.0


def _empty(org_id: int, org: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "id": org_id, "organization_id": org_id,
        "organization_external_id": (org or {}).get("external_id"),
        "organization_name": (org or {}).get("name"),
        "tickets": 0, "open_tickets": 0, "solved_tickets": 0, "last_ticket_at": None,
    }  # fmt: skip


def _pick(summary: dict[str, Any], wanted: tuple[str, ...]) -> dict[str, Any]:
    return {f: summary.get(f) for f in wanted} if wanted else summary


def _orgs(ids: list[int]) -> Callable[[Zenpy], list[Any]]:
    return lambda client: list(client.organizations(ids=ids))


def _org_tickets(org_id: int) -> Callable[[Zenpy], list[Any]]:
    """Every page of `organizations/{id}/tickets` (zenpy follows `links.next` while `has_more`)."""
    return lambda client: list(client.tickets.organizations(organization=org_id))
