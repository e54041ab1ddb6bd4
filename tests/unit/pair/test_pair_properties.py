"""Property tests of two-way sync: random edit sequences on both sides, runs in any order, crashes.

Hypothesis generates what users of two in-memory systems do between runs
(creates on either side, edits of one field, deletes, archives) interleaved with pair
runs (both directions, or one), and runs that crash (a write whose answer is
lost, a read refused in the middle of a run) followed at once by the same run
again. A model keeps, per pair of records and per field, the value each side
should end with under the field's policy:

- name: newest_wins, by the change stamp of each side's *record* (the systems
  stamp records, not fields: the side whose record a user changed last wins,
  even if that change was to another field);
- city: owner b; employees: owner a (the owner's value wins a conflict;
  an edit made on one side only flows, whoever owns the field);
- rating: manual (both sides keep their own value, one open conflict letter
  per pair of records, until the sides agree again).

Once the edits stop, two pair runs must make both sides agree with the model,
and a third writes nothing; each record is paired exactly once and no record
is created twice (checked through the match field, external_ref).

User edits are made at least a few milliseconds apart from each other and from
the runs' writes: the memory systems stamp at millisecond precision, and two
stamps in one millisecond cannot say which edit is newer (newest_wins then
falls back to a manual conflict, by design).
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from officebridge.connections import parse_connection
from officebridge.connector import OpKind, WriteOp
from officebridge.pair.runner import prepared_pair, run_pair
from officebridge.state import StateStore
from officebridge.sync.run import RunOptions, RunResult
from officebridge.testing.memory import MemorySystem, forget_system, memory_system
from officebridge.testing.memory.connector import MemoryConnector

Side = Literal["a", "b"]
SIDES: tuple[Side, Side] = ("a", "b")
POLICY = {"name": "newest", "city": "b", "rating": "manual", "employees": "a"}
VALUES: dict[str, list[Any]] = {
    "name": ["Acme", "Beta", "Gamma"],
    "city": [None, "Lyon", "Osaka"],
    "rating": [None, "Hot", "Cold"],
    "employees": [None, 1, 2],
}
WRITE_OPS = ("create", "update", "archive", "delete", "upsert")
OPTIONS = RunOptions(overlap=timedelta(0), settle=timedelta(0))  # a rerun settles unknown writes at once
_counter = itertools.count()

PAIR = """\
version: 1
name: {name}
two_way:
  a: {{system: memory, connection: crm_props, object: account, cursor: updated_at, deletes: true,
      match: external_ref, on_delete: archive}}
  b: {{system: memory, connection: erp_props, object: account, cursor: updated_at, deletes: true,
      match: external_ref, on_delete: archive}}
fields:
  name: {{a: name, b: name, conflict: newest_wins}}
  city: {{a: city, b: city, owner: b}}
  rating: {{a: rating, b: rating, conflict: manual}}
  employees: {{a: employees, b: employees, owner: a}}
a_to_b:
  external_ref: id
b_to_a:
  external_ref: id
"""


def other(side: Side) -> Side:
    return "b" if side == "a" else "a"


# --- the model -------------------------------------------------------------------------


@dataclass
class Entity:
    """One thing users know, as a record on each side (a side may not have it yet)."""

    born: Side
    ids: dict[Side, str | None]
    values: dict[Side, dict[str, Any]]
    base: dict[Side, dict[str, Any]] = field(default_factory=lambda: {"a": {}, "b": {}})
    stamp: dict[Side, int] = field(default_factory=lambda: {"a": 0, "b": 0})
    deleted: set[Side] = field(default_factory=set)  # deleted by a user
    gone: bool = False  # deleted on one side, the other archived (or never created there)
    paired: bool = False
    conflicts: set[str] = field(default_factory=set)

    def live(self, side: Side) -> bool:
        return self.ids[side] is not None and not self.gone and side not in self.deleted


class Model:
    def __init__(self) -> None:
        self.entities: list[Entity] = []
        self.clock = 0

    def tick(self) -> int:
        self.clock += 1
        return self.clock

    def run(self, kind: str) -> None:
        for side in ("a", "b") if kind == "both" else (kind,):
            for e in self.entities:
                self.step(e, side)  # type: ignore[arg-type]

    def step(self, e: Entity, x: Side) -> None:
        """What the direction x -> y does to one pair of records."""
        y = other(x)
        if e.ids[x] is None or e.gone:
            return
        if x in e.deleted:
            e.gone = True  # the partner (if any) is archived; an unpaired record just vanishes
            return
        if not e.paired:
            e.values[y] = dict(e.values[x])
            e.base = {"a": dict(e.values[x]), "b": dict(e.values[x])}
            e.stamp[y] = self.tick()
            e.ids[y] = "?"  # known after the run, through the match field
            e.paired = True
            return
        if y in e.deleted:
            return  # its own direction archives this side
        for f, policy in POLICY.items():
            mine, theirs = e.values[x][f], e.values[y][f]
            if mine == e.base[x][f]:
                continue
            if theirs == mine or theirs == e.base[y][f]:
                winner: Side | None = x
            elif policy in SIDES:
                winner = policy  # type: ignore[assignment]
            elif policy == "newest":
                winner = x if e.stamp[x] > e.stamp[y] else y
            else:
                winner = None
            if winner is None:
                e.conflicts.add(f)
                continue
            value = e.values[winner][f]
            e.values[x][f] = e.values[y][f] = value
            e.base[x][f] = e.base[y][f] = value
            e.conflicts.discard(f)


# --- the systems -----------------------------------------------------------------------


@dataclass
class World:
    crm: MemorySystem
    erp: MemorySystem
    store: StateStore
    file: Path
    pair: str
    model: Model = field(default_factory=Model)
    faults: int = 0

    def system(self, side: Side) -> MemorySystem:
        return self.crm if side == "a" else self.erp

    def user(self, side: Side) -> MemoryConnector:
        return MemoryConnector(parse_connection("user", self.system(side).connection_value()))

    # users --------------------------------------------------------------------------

    def create(self, side: Side, values: dict[str, Any]) -> None:
        time.sleep(0.003)  # distinct millisecond stamps (see the module docstring)
        [result] = self.user(side).write("account", [WriteOp(OpKind.CREATE, "new", values)])
        assert result.ok and result.target_id
        ids: dict[Side, str | None] = {"a": None, "b": None}
        ids[side] = str(result.target_id)
        e = Entity(side, ids, {"a": {}, "b": {}})
        e.values[side] = dict(values)
        e.stamp[side] = self.model.tick()
        self.model.entities.append(e)
        time.sleep(0.003)

    def edit(self, side: Side, k: int, name: str, value: Any) -> None:
        live = [e for e in self.model.entities if e.live(side)]
        if not live:
            return
        e = live[k % len(live)]
        time.sleep(0.003)
        op = WriteOp(OpKind.UPDATE, "edit", {name: value}, e.ids[side])
        assert all(r.ok for r in self.user(side).write("account", [op]))
        e.values[side][name] = value
        e.stamp[side] = self.model.tick()
        time.sleep(0.003)

    def delete(self, side: Side, k: int, *, archive: bool = False) -> None:
        """A user deletes the record, or archives it (`active` false): to the pair, both are a deletion."""
        live = [e for e in self.model.entities if e.live(side)]
        if not live:
            return
        e = live[k % len(live)]
        time.sleep(0.003)
        if archive:
            op = WriteOp(OpKind.UPDATE, "archive", {"active": False}, e.ids[side])
        else:
            op = WriteOp(OpKind.DELETE, "delete", {}, e.ids[side])
        assert all(r.ok for r in self.user(side).write("account", [op]))
        e.deleted.add(side)
        e.stamp[side] = self.model.tick()
        time.sleep(0.003)

    # runs ---------------------------------------------------------------------------

    def run(self, kind: str) -> list[RunResult]:
        if kind == "both":
            results = run_pair(self.file, self.store, OPTIONS)
        else:
            with prepared_pair(self.file, self.store, OPTIONS) as (forward, backward):
                results = [(forward if kind == "a" else backward).run()]
        return results

    def both(self, kind: str) -> list[RunResult]:
        """A run of the systems and of the model; with no fault armed, every record goes through."""
        results = self.run(kind)
        failed = [(r.sync, r.status, r.counts.failed) for r in results if r.status != "succeeded"]
        assert not failed, f"runs with no fault armed did not succeed: {failed}"
        self.model.run(kind)
        self.learn_ids()
        return results

    def crash(self, kind: str, side: Side, fault: str, operation: str) -> None:
        """A run that meets a fault, then the same run again (the scheduler's retry)."""
        self.faults += 1
        system = self.system(side)
        if fault == "drop":  # the write lands, its answer is lost: outcome unknown
            system.add_fault("drop", operation=f"account.{operation}", after=True, times=1)
        else:  # a read refused outright: the direction stops mid-run
            system.add_fault("server_error", operation=f"account.{operation}", status=400, times=1)
        try:
            self.run(kind)
        except Exception:  # the crash itself (a failed run raises); the rerun must repair it
            pass
        system.clear_faults()
        self.both(kind)

    def learn_ids(self) -> None:
        """Ids of records the sync created, found through the match field (external_ref)."""
        for side in SIDES:
            by_ref: dict[str, list[str]] = {}
            for row in self.system(side).rows("account", include_deleted=True):
                if row["external_ref"]:
                    by_ref.setdefault(row["external_ref"], []).append(row["id"])
            for e in self.model.entities:
                mine = e.ids[other(side)]
                if e.ids[side] == "?" and mine not in (None, "?") and mine in by_ref:
                    e.ids[side] = by_ref[mine][0]

    def writes(self) -> dict[str, int]:
        return {
            f"{s}.{op}": n
            for s in SIDES
            for op, n in self.system(s).stats()["by_operation"].items()
            if op.split(".")[-1] in WRITE_OPS
        }


@contextmanager
def world(store: StateStore, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    n = next(_counter)
    crm = memory_system(f"crm-p{n}-{uuid.uuid4().hex[:6]}")
    erp = memory_system(f"erp-p{n}-{uuid.uuid4().hex[:6]}")
    monkeypatch.setenv("AIRFLOW_CONN_CRM_PROPS", crm.connection_value())
    monkeypatch.setenv("AIRFLOW_CONN_ERP_PROPS", erp.connection_value())
    name = f"props_{n}"
    file = tmp / f"{name}.yaml"
    file.write_text(PAIR.format(name=name))
    try:
        yield World(crm, erp, store, file, name)
    finally:
        forget_system(crm.host)
        forget_system(erp.host)


# --- the generated sequences -----------------------------------------------------------

sides = st.sampled_from(SIDES)
records = st.fixed_dictionaries({f: st.sampled_from(v) for f, v in VALUES.items()})
edit = st.sampled_from(sorted(VALUES)).flatmap(
    lambda f: st.tuples(st.just("edit"), sides, st.integers(0, 5), st.just(f), st.sampled_from(VALUES[f]))
)
runs = st.sampled_from(["both", "both", "a", "b"])
dropped = st.sampled_from(["create", "update", "archive"])  # writes whose answer is lost
refused = st.sampled_from(["fetch", "read", "lookup"])  # reads refused: the run stops there
crash = st.one_of(
    st.tuples(st.just("crash"), runs, sides, st.just("drop"), dropped),
    st.tuples(st.just("crash"), runs, sides, st.just("refuse"), refused),
)
action = st.one_of(
    st.tuples(st.just("create"), sides, records),
    edit,
    edit,
    edit,
    st.tuples(st.just("delete"), sides, st.integers(0, 5)),
    st.tuples(st.just("archive"), sides, st.integers(0, 5)),
    st.tuples(st.just("run"), runs),
    crash,
)
sequences = st.lists(action, min_size=1, max_size=14)


def play(w: World, steps: list[tuple[Any, ...]]) -> None:
    for step in steps:
        match step:
            case ("create", side, values):
                w.create(side, values)
            case ("edit", side, k, name, value):
                w.edit(side, k, name, value)
            case ("delete", side, k):
                w.delete(side, k)
            case ("archive", side, k):
                w.delete(side, k, archive=True)
            case ("run", kind):
                w.both(kind)
            case ("crash", kind, side, fault, operation):
                w.crash(kind, side, fault, operation)


def settle(w: World) -> None:
    """The edits have stopped: two pair runs converge, a third writes nothing."""
    for _ in range(2):
        w.both("both")
    check_agreement(w)
    before = w.writes()
    third = w.both("both")
    assert [(r.counts.created, r.counts.updated, r.counts.deleted) for r in third] == [(0, 0, 0)] * 2
    assert w.writes() == before, "a third run wrote to a system"
    assert all(r.status == "succeeded" for r in third)


def check_agreement(w: World) -> None:
    rows = {s: {r["id"]: r for r in w.system(s).rows("account", include_deleted=True)} for s in SIDES}
    model = w.model.entities
    for s in SIDES:  # no record created twice: one record per entity that reached this side
        assert len(rows[s]) == sum(1 for e in model if e.ids[s] is not None), f"records on side {s}"
        refs = [r["external_ref"] for r in rows[s].values() if r["external_ref"]]
        assert len(refs) == len(set(refs)), f"two records of side {s} name one partner"
    letters = {d.source_id: d for d in w.store.dead_letters(w.pair, limit=1000)}
    assert all(d.stage == "conflict" for d in letters.values())
    expected_letters = set()
    for e in model:
        a_id, b_id = e.ids["a"], e.ids["b"]
        if e.gone or e.deleted:
            for s in SIDES:
                row = rows[s].get(e.ids[s] or "")
                assert row is None or row["deleted"] or row["active"] is False, f"{s} {e.ids[s]} still live"
            continue
        assert a_id and b_id and a_id != "?" and b_id != "?", f"entity born on {e.born} never paired: {e}"
        a, b = rows["a"][a_id], rows["b"][b_id]
        assert a["external_ref"] == b_id and b["external_ref"] == a_id, "each record names its partner"
        for s, row in (("a", a), ("b", b)):
            assert not row["deleted"] and row["active"] is not False
            got = {f: row[f] for f in POLICY}
            assert got == e.values[s], f"side {s} of {a_id}/{b_id}: {got} != model {e.values[s]}"
        if e.conflicts:
            expected_letters.add(a_id)
            fields = letters[a_id].payload["fields"] if a_id in letters else {}
            assert set(fields) == e.conflicts, f"conflict of {a_id}: {fields} != model {e.conflicts}"
    assert set(letters) == expected_letters, "open conflict letters"
    for sync in (f"{w.pair}__a_to_b", f"{w.pair}__b_to_a"):
        stuck = w.store.dead_letters(sync, limit=1000)
        assert stuck == [], f"{sync}: letters left open after recovery: {[d.error_code for d in stuck]}"


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StateStore]:
    store = StateStore.open(f"sqlite:///{tmp_path_factory.mktemp('pairprops') / 'state.db'}")
    yield store
    store.close()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("OFFICEBRIDGE_NO_AIRFLOW_LOOKUP", "1")
    monkeypatch.setenv("OFFICEBRIDGE_RETRY_BASE", "0.001")
    return monkeypatch


def check(steps: list[tuple[Any, ...]], store: StateStore, tmp: Path, mp: pytest.MonkeyPatch) -> None:
    with world(store, tmp, mp) as w:
        play(w, steps)
        settle(w)


_SUPPRESS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


_ACME = {"name": "Acme", "city": None, "rating": None, "employees": 1}
# found by these tests, kept as fixed examples
LOST_CREATE_ANSWER = [("create", "b", _ACME), ("crash", "both", "a", "drop", "create")]
EDIT_OF_DELETED_PARTNER = [
    ("create", "a", _ACME),
    ("run", "both"),
    ("delete", "b", 0),
    ("edit", "a", 0, "city", "Lyon"),
]
DELETED_ON_BOTH_SIDES = [
    ("create", "a", _ACME),
    ("run", "both"),
    ("delete", "a", 0),
    ("delete", "b", 0),
    ("run", "a"),
]
SAME_FIELD_BOTH_SIDES = [  # every field changed differently on both sides: each policy decides once
    ("create", "a", _ACME),
    ("run", "both"),
    *[
        ("edit", "a", 0, f, v)
        for f, v in (("name", "Beta"), ("city", "Lyon"), ("rating", "Hot"), ("employees", 2))
    ],
    *[
        ("edit", "b", 0, f, v)
        for f, v in (("name", "Gamma"), ("city", "Osaka"), ("rating", "Cold"), ("employees", None))
    ],
    ("edit", "a", 0, "name", "Beta"),  # the same value again: side a's record is now the newest
]


@settings(max_examples=30, deadline=None, suppress_health_check=_SUPPRESS)
@given(steps=sequences)
@example(steps=LOST_CREATE_ANSWER)
@example(steps=EDIT_OF_DELETED_PARTNER)
@example(steps=DELETED_ON_BOTH_SIDES)
@example(steps=SAME_FIELD_BOTH_SIDES)
def test_two_way_sync_converges_without_losing_edits(
    steps: list[tuple[Any, ...]], shared_store: StateStore, tmp_path: Path, env: pytest.MonkeyPatch
) -> None:
    check(steps, shared_store, tmp_path, env)


@pytest.mark.slow
@pytest.mark.timeout(1800)
@settings(max_examples=200, deadline=None, suppress_health_check=_SUPPRESS)
@given(steps=st.lists(action, min_size=1, max_size=30))
def test_two_way_sync_converges_without_losing_edits_long(
    steps: list[tuple[Any, ...]], shared_store: StateStore, tmp_path: Path, env: pytest.MonkeyPatch
) -> None:
    check(steps, shared_store, tmp_path, env)


def test_a_restore_is_not_undone(shared_store: StateStore, tmp_path: Path, env: pytest.MonkeyPatch) -> None:
    """A user un-archives a record whose partner the pair archived: it stays restored, runs go quiet.

    The partner stays archived: the connector contract has no restore operation
    (archive and delete only), so the pair cannot bring it back by itself.
    """
    with world(shared_store, tmp_path, env) as w:
        play(w, [("create", "a", _ACME), ("run", "both"), ("archive", "a", 0), ("run", "both")])
        [e] = w.model.entities
        a_id, b_id = e.ids["a"], e.ids["b"]
        restore = WriteOp(OpKind.UPDATE, "restore", {"active": True, "employees": 2}, a_id)
        assert all(r.ok for r in w.user("a").write("account", [restore]))
        for _ in range(2):
            w.run("both")
        before = w.writes()
        third = w.run("both")
        assert w.writes() == before
        assert [r.counts.deleted + r.counts.updated + r.counts.created for r in third] == [0, 0]
        [a] = [r for r in w.crm.rows("account") if r["id"] == a_id]
        [b] = [r for r in w.erp.rows("account") if r["id"] == b_id]
        assert a["active"] is True and a["employees"] == 2  # not archived again by the pair
        assert b["active"] is False
