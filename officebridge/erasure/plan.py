"""Plan an erasure: find the person's records, follow their links, decide one action per record.

Planning only reads (lookups, fetches, link rows), so `--dry-run` is this
module alone. The person is found by each erasure mapping's `identify` field
(a lookup in its source system, then the found record is fetched again and
kept only if it really holds the address: some lookups go through a search
index that lags writes), or given as a sync's record. From there the links of
every sync that declares an erasure policy are followed, both ways, until no
new record turns up. Each record gets the strongest action any of its syncs
asks for (delete, then anonymise with every listed field, then keep).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from officebridge.connections import resolve_connection
from officebridge.connector import Connector, SourceRecord, open_connector
from officebridge.erasure.links import SyncLinks
from officebridge.erasure.records import RecordRef, Role
from officebridge.erasure.values import PersonalValues
from officebridge.errors import ConfigError, RecordError
from officebridge.mapping import compile_mapping
from officebridge.mapping.spec import Mapping

MAX_RECORDS = 50  # one person is a handful of records; a link chain reaching more is not one person
_STRENGTH = {"keep": 0, "anonymise": 1, "delete": 2}


class ErasureRefusedError(ConfigError):
    """The erasure cannot be done as declared; nothing was changed."""


@dataclass
class Step:
    """One record and what erasure does to it."""

    record: RecordRef
    action: str = "keep"  # delete | anonymise | keep
    values: dict[str, Any] = field(default_factory=dict)  # what anonymise writes
    roles: list[tuple[str, Role]] = field(default_factory=list)  # (sync, the record's part in it)
    seed: bool = False  # found by the email (or given): changed last
    current: SourceRecord | None = None  # as fetched before the erasure (None: not found)
    status: str = "planned"  # planned | done | gone | kept | failed | unknown | skipped
    message: str = ""  # why it failed (no record values)

    def as_dict(self) -> dict[str, Any]:
        """What the log and `--json` show: ids, systems, objects, actions; never values."""
        return {
            "system": self.record.system, "connection": self.record.connection, "object": self.record.object,
            "id": self.record.id, "action": self.action, "status": self.status,
            "fields": sorted(self.values) if self.action == "anonymise" else [],
            "syncs": [f"{role} of {sync}" for sync, role in self.roles], "message": self.message,
        }  # fmt: skip


@dataclass
class ErasurePlan:
    steps: list[Step]
    values: PersonalValues
    searched: list[str]  # "salesforce Contact.Email", for "nothing found" messages

    @property
    def changes(self) -> list[Step]:
        return [s for s in self.steps if s.action != "keep" and s.current is not None]

    def order(self) -> list[Step]:
        """Linked records first, the records found by the email last (a failure leaves them findable)."""
        return sorted(self.changes, key=lambda s: (s.seed, s.record))


class Systems:
    """Connectors opened on demand, one per (system, connection), all closed together."""

    def __init__(self) -> None:
        self.open: dict[tuple[str, str], Connector] = {}

    def __call__(self, system: str, connection: str) -> Connector:
        key = (system, connection)
        if key not in self.open:
            connector = open_connector(system, resolve_connection(connection))
            connector.check()
            self.open[key] = connector
        return self.open[key]

    def close(self) -> None:
        for connector in self.open.values():
            try:
                connector.close()
            except Exception:  # closing must not hide the erasure's own outcome
                pass


def ref(m: Mapping, role: Role, record_id: str) -> RecordRef:
    spec = m.source if role == "source" else m.target
    return RecordRef(spec.system, spec.connection, spec.object, str(record_id))


def find_by_email(email: str, mappings: list[Mapping], systems: Systems) -> tuple[list[RecordRef], list[str]]:
    """Records whose identify field holds `email` (any case), and what was searched."""
    found: list[RecordRef] = []
    searched: list[str] = []
    wanted = email.strip().casefold()
    seen: set[tuple[str, str, str, str]] = set()
    for m in mappings:
        assert m.erasure is not None
        key = (m.source.system, m.source.connection, m.source.object, m.erasure.identify)
        if key in seen:
            continue
        seen.add(key)
        searched.append(f"{m.source.system} {m.source.object}.{m.erasure.identify}")
        connector = systems(m.source.system, m.source.connection)
        variants = list(dict.fromkeys([email.strip(), email.strip().lower()]))
        ids = sorted(set(connector.lookup(m.source.object, m.erasure.identify, variants).values()))
        for record in connector.fetch(m.source.object, [m.erasure.identify], ids) if ids else []:
            held = record.fields.get(m.erasure.identify)
            if isinstance(held, str) and held.strip().casefold() == wanted:
                found.append(ref(m, "source", record.id))
    return sorted(set(found)), searched


def walk(seeds: list[RecordRef], graph: SyncLinks, erasable: dict[str, Mapping]) -> dict[RecordRef, Step]:
    """Every record reachable from the seeds through links of syncs that declare an erasure policy."""
    steps: dict[RecordRef, Step] = {s: Step(s, seed=True) for s in seeds}
    queue = list(seeds)
    while queue:
        record = queue.pop(0)
        if steps[record].seed:  # found by the email in a source object: every erasure sync reading it
            for m, role in graph.syncs_of(record):
                if m.name in erasable and role == "source":
                    _add_role(steps[record], m.name, role)
        for linked in graph.linked(record):
            if linked.sync not in erasable:
                continue
            mine: Role = "target" if linked.role == "source" else "source"
            _add_role(steps[record], linked.sync, mine)
            if linked.record not in steps:
                if len(steps) >= MAX_RECORDS:
                    raise ErasureRefusedError(
                        f"the links of this person reach more than {MAX_RECORDS} records; that is not one "
                        "person: check the links of the syncs involved (nothing was changed)"
                    )
                steps[linked.record] = Step(linked.record)
                queue.append(linked.record)
            _add_role(steps[linked.record], linked.sync, linked.role)
    return steps


def _add_role(step: Step, sync: str, role: Role) -> None:
    if (sync, role) not in step.roles:
        step.roles.append((sync, role))


def decide(steps: dict[RecordRef, Step], erasable: dict[str, Mapping]) -> None:
    """Each record's action: the strongest any of its syncs asks for; anonymise values merged by sync name."""
    for step in steps.values():
        for sync, role in sorted(step.roles):
            policy = erasable[sync].erasure
            assert policy is not None
            side = policy.source if role == "source" else policy.target
            if _STRENGTH[side.action] > _STRENGTH[step.action]:
                step.action = side.action
            for name, value in side.values:
                step.values.setdefault(name, value)
        if step.action != "anonymise":
            step.values = {}


def fetch_current(steps: dict[RecordRef, Step], erasable: dict[str, Mapping], systems: Systems) -> None:
    """Read every record as it is now: what the person's values are, and whether it still exists."""
    groups: dict[tuple[str, str, str], list[Step]] = {}
    for step in steps.values():
        groups.setdefault(step.record.where, []).append(step)
    for (system, connection, obj), group in sorted(groups.items()):
        names: set[str] = set()
        for step in group:
            names |= set(step.values)
            for sync, role in step.roles:
                names |= fields_read(erasable[sync], role)
        records = systems(system, connection).fetch(obj, sorted(names), [s.record.id for s in group])
        by_id = {r.id: r for r in records}
        for step in group:
            step.current = by_id.get(step.record.id)
            if step.current is not None and step.current.deleted and step.action == "delete":
                step.current = None  # already deleted (or archived) there; an archive is not an erasure,
                step.status = "gone"  # but delete is all this connector can do again
            elif step.current is None:
                step.status = "gone"


def fields_read(m: Mapping, role: Role) -> set[str]:
    """The fields of a sync's record that hold the person: those its mapping copies or computes from."""
    if role == "target":
        names = {r.target for r in m.fields if r.source in ("copy", "expr")}
    else:
        keys = {k.field for r in m.fields for k in _keys(r) if k.field}
        names = {n for n in compile_mapping(m).source_fields if "." not in n} - keys
    if m.erasure is not None:
        side = m.erasure.source if role == "source" else m.erasure.target
        names |= {name for name, _ in side.values}
        if role == "source":
            names.add(m.erasure.identify)
    return names


def _keys(rule: Any) -> list[Any]:
    return [s.key for s in (rule.lookup, rule.link) if s is not None]


def refuse_resurrection(steps: dict[RecordRef, Step], erasable: dict[str, Mapping]) -> None:
    """Refuse a plan whose next sync run would create a deleted record again from an anonymised source.

    A source that stays (anonymised) is read again by its sync; with its link
    gone, a sync that may create records would create the target anew, unless
    the mapping's `where` filters the anonymised record out.
    """
    for step in steps.values():
        if step.action != "anonymise" or step.current is None:
            continue
        for sync, role in step.roles:
            m = erasable[sync]
            target = next((t for t in steps.values() if (sync, "target") in t.roles), None)
            if role != "source" or m.target.mode == "update" or target is None or target.action != "delete":
                continue
            try:
                passes = compile_mapping(m).map({**step.current.fields, **step.values}) is not None
            except RecordError:
                passes = False  # the next run would set it aside, not create it
            if passes:
                raise ErasureRefusedError(
                    f"{m.file}: erasure.target delete with the source anonymised would let the next run of "
                    f"{m.name} create the {m.target.system} {m.target.object} record again from the "
                    f"anonymised {m.source.object} (mode {m.target.mode}); use target: {{anonymise: ...}}, "
                    "source: delete, or a `where` that leaves anonymised records out (nothing was changed)"
                )


def personal_values(
    steps: dict[RecordRef, Step], erasable: dict[str, Mapping], email: str | None
) -> PersonalValues:
    """The person's values as every record holds them, and as each mapping would write them."""
    values = PersonalValues(ids={s.record.id for s in steps.values()})
    for m in erasable.values():
        values.ignore_mapping_constants(m)
    if email:
        values.add(email)
    for step in steps.values():
        if step.current is None:
            continue
        for sync, role in step.roles:
            m = erasable[sync]
            for name in fields_read(m, role):
                values.add(step.current.fields.get(name))
            if role == "source":
                try:
                    mapped = compile_mapping(m).map(step.current.fields) or {}
                except RecordError:
                    mapped = {}
                for name in fields_read(m, "target"):
                    values.add(mapped.get(name))
    return values
