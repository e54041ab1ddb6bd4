"""The comparison itself: two streamed passes over a subject, one page in memory at a time.

Pass 1 reads side A in scope, page by page: each page's links are read from
the state store in one query, its linked B records fetched by id in one call,
and compared. An A record with no link is missing; a link whose B record is
gone is broken (and its A record missing); a pair that differs is drifted.
Every in-scope id goes to the scratch file.

Pass 2 pages through the active links and asks the scratch file which A ids
were seen: a link whose A id was not is extra. Only those few are fetched
again (A, to say whether the record is gone or only out of scope; B, to see
whether the link is broken as well).

Nothing here trusts a counter: every count is a record read from a system.
"""

from __future__ import annotations

from collections.abc import Callable

from officebridge.connector import SourceRecord
from officebridge.reconcile.findings import Findings, shown
from officebridge.reconcile.scratch import Scratch
from officebridge.reconcile.subject import Subject

Beat = Callable[[], None]


def check(subject: Subject, scratch: Scratch, *, batch: int = 500, beat: Beat | None = None) -> Findings:
    """Compare both sides of `subject`; ids of what was found go to `scratch` (for a repair)."""
    findings = Findings()
    for page in subject.read_a(batch):
        _in_scope(subject, scratch, findings, page)
        if beat is not None:
            beat()
    for links in subject.linked(batch):
        findings.linked += len(links)
        seen = scratch.seen_among([link.a_id for link in links])
        extra = [link for link in links if link.a_id not in seen]
        if extra:
            _extra(subject, scratch, findings, [(link.a_id, link.b_id) for link in extra])
        if beat is not None:
            beat()
    return findings


def _gone(record: SourceRecord | None) -> str | None:
    if record is None:
        return "gone"
    return "archived or deleted" if record.deleted else None


def _in_scope(subject: Subject, scratch: Scratch, findings: Findings, page: list[SourceRecord]) -> None:
    findings.checked += len(page)
    scratch.see(r.id for r in page)
    links = subject.links_of([r.id for r in page])
    expects_all = subject.expects_every_record
    for r in page:
        if r.id not in links and expects_all:
            scratch.note("missing", r.id)
            findings.add("missing", {"a_id": r.id}, "no link")
    linked = [r for r in page if r.id in links]
    held = subject.fetch_b([links[r.id] for r in linked]) if linked else {}
    pairs: list[tuple[SourceRecord, SourceRecord]] = []
    for r in linked:
        b_id = links[r.id]
        b = held.get(b_id)
        why = _gone(b)
        if why is not None or b is None:
            scratch.note("broken", r.id, b_id, "in scope")
            findings.add("broken", {"a_id": r.id, "b_id": b_id}, why or "gone")
            findings.add("missing", {"a_id": r.id, "b_id": b_id}, "broken link")
            continue
        pairs.append((r, b))
    for c in subject.compare(pairs):
        if c.problem is not None:
            findings.add("unreadable", {"a_id": c.a_id, "b_id": c.b_id, "problem": c.problem})
        elif c.drifted:
            scratch.note("drifted", c.a_id, c.b_id)
            findings.fields.update(c.drifted)
            entry = {
                "a_id": c.a_id,
                "b_id": c.b_id,
                "fields": list(c.drifted),
                "expected": shown(c.expected, subject.sensitive),
                "actual": shown(c.actual, subject.sensitive),
            }
            findings.add("drifted", entry)


def _extra(subject: Subject, scratch: Scratch, findings: Findings, extra: list[tuple[str, str]]) -> None:
    """Links whose A record is not in scope: gone, deleted unseen, or outside the filter now."""
    sources = subject.fetch_a([a for a, _ in extra])
    targets = subject.fetch_b([b for _, b in extra])
    for a_id, b_id in extra:
        reason = _gone(sources.get(a_id)) or "out of scope"
        scratch.note("extra", a_id, b_id, reason)
        findings.add("extra", {"a_id": a_id, "b_id": b_id}, reason)
        why = _gone(targets.get(b_id))
        if why is not None:
            scratch.note("broken", a_id, b_id, "out of scope")
            findings.add("broken", {"a_id": a_id, "b_id": b_id}, why)
