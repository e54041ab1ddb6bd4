"""`erase`: plan, carry out, forget, log; the one entry point the CLI (and any scheduler) calls.

Bad input (an address that is not one, a sync with no erasure policy, a
mapping file with problems, a system that cannot be reached) fails before
anything is changed anywhere. Finding nobody is not an error: an erasure
request may be sent twice, and the second must succeed by saying that
nothing is left; officebridge's own records are still searched for the
address, so a copy left behind by a record deleted by hand goes too.
"""

from __future__ import annotations

import json
import re
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from officebridge import settings
from officebridge.erasure.apply import carry_out
from officebridge.erasure.forget import Forgotten, forget_in_files, forget_in_state
from officebridge.erasure.links import SyncLinks
from officebridge.erasure.pairs import PairAwareLinks, directions, load_pairs
from officebridge.erasure.plan import (
    ErasurePlan,
    ErasureRefusedError,
    Systems,
    decide,
    fetch_current,
    find_by_email,
    personal_values,
    ref,
    refuse_resurrection,
    walk,
)
from officebridge.erasure.records import RecordRef
from officebridge.mapping import load_mappings
from officebridge.mapping.spec import Mapping
from officebridge.state import StateStore

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
LOG_FILE = Path("erasure") / "erasures.jsonl"


@dataclass(frozen=True, slots=True)
class EraseRequest:
    email: str | None = None
    record: str | None = None  # SYNC:SOURCE_ID
    mappings_dir: Path = Path("mappings")
    dry_run: bool = False


@dataclass
class Outcome:
    id: str
    request: EraseRequest
    plan: ErasurePlan
    forgotten: Forgotten

    @property
    def ok(self) -> bool:
        return all(s.status in ("done", "gone", "planned", "kept") for s in self.plan.steps)

    @property
    def found(self) -> bool:
        return bool(self.plan.steps)

    def as_dict(self) -> dict[str, Any]:
        """Ids, systems, objects and actions; never the person's values."""
        by = {"by": "record", "record": self.request.record} if self.request.record else {"by": "email"}
        return {"erasure": self.id, **by, "dry_run": self.request.dry_run, "ok": self.ok,
                "records": [s.as_dict() for s in self.plan.steps], "searched": self.plan.searched,
                "officebridge": self.forgotten.as_dict()}  # fmt: skip


def erase(request: EraseRequest, store: StateStore) -> Outcome:
    email = _checked_email(request.email) if request.email is not None else None
    mappings = load_mappings(sorted(request.mappings_dir.glob("*.y*ml")))  # every problem, before anything
    pairs = load_pairs(request.mappings_dir)  # two-way files, under pairs/: their directions take part
    erasable = {m.name: m for m in [*mappings, *directions(pairs)] if m.erasure is not None}
    if not erasable:
        raise ErasureRefusedError(f"no mapping file in {request.mappings_dir} declares an `erasure:` block")
    graph = PairAwareLinks(store, mappings, pairs)
    systems = Systems()
    try:
        plan = _plan(request, email, erasable, graph, systems)
        if not request.dry_run:
            with ExitStack() as locks:
                held = {graph.lock_of(m.name) for s in plan.steps for m, _ in graph.syncs_of(s.record)}
                for sync in sorted(held):
                    locks.enter_context(store.lock(sync))  # no run of these syncs or pairs cuts in
                carry_out(plan, systems)
                forgotten = _forget(plan, graph, store, apply=True)
        else:
            forgotten = _forget(plan, graph, store, apply=False)
    finally:
        systems.close()
    for step in plan.steps:
        step.message = plan.values.scrub_text(step.message)[0]  # a system's error may quote a value
        if step.action == "keep" and step.status == "planned" and not request.dry_run:
            step.status = "kept"
    outcome = Outcome(uuid.uuid4().hex[:12], request, plan, forgotten)
    if not request.dry_run:
        _log(outcome)
    return outcome


def _checked_email(email: str) -> str:
    if not EMAIL.match(email.strip()):
        raise ErasureRefusedError(f"--email {email!r} is not an email address (nothing was changed)")
    return email.strip()


def _plan(
    request: EraseRequest, email: str | None, erasable: dict[str, Mapping], graph: SyncLinks, systems: Systems
) -> ErasurePlan:
    if email is not None:
        seeds, searched = find_by_email(email, list(erasable.values()), systems)
    else:
        seeds, searched = _record_seed(request.record or "", erasable, systems), []
    steps = walk(seeds, graph, erasable)
    decide(steps, erasable)
    fetch_current(steps, erasable, systems)
    refuse_resurrection(steps, erasable)
    values = personal_values(steps, erasable, email)
    return ErasurePlan(sorted(steps.values(), key=lambda s: s.record), values, searched)


def _record_seed(given: str, erasable: dict[str, Mapping], systems: Systems) -> list[RecordRef]:
    sync, sep, source_id = given.partition(":")
    if not sep or not sync or not source_id:
        raise ErasureRefusedError(f"--record {given!r} must be SYNC:SOURCE_ID (nothing was changed)")
    m = erasable.get(sync)
    if m is None:
        raise ErasureRefusedError(
            f"--record {given!r}: sync {sync!r} has no mapping file with an `erasure:` block "
            f"(syncs that have one: {', '.join(sorted(erasable))}); nothing was changed"
        )
    if not systems(m.source.system, m.source.connection).fetch(m.source.object, [], [source_id]):
        return []  # nothing by that id (any more): nothing to erase
    return [ref(m, "source", source_id)]


def _forget(plan: ErasurePlan, graph: SyncLinks, store: StateStore, *, apply: bool) -> Forgotten:
    forgettable = "done", "gone", "kept", "planned"
    records = [s.record for s in plan.steps if s.status in forgettable]
    forgotten = forget_in_state(store, graph, records, plan.values, apply=apply)
    forget_in_files(settings.home(), plan.values, forgotten, apply=apply)
    return forgotten


def _log(outcome: Outcome) -> None:
    """Append what was done (ids and actions only) to $OFFICEBRIDGE_HOME/erasure/erasures.jsonl."""
    path = settings.home() / LOG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {"at": datetime.now(UTC).isoformat(timespec="seconds"), **outcome.as_dict()}
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
