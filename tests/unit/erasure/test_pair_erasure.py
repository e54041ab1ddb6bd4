"""`erase` follows two-way pairs: a person on one side of a pair is erased on the other, per its policy."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from officebridge.connections import parse_connection
from officebridge.connector import OpKind, WriteOp
from officebridge.erasure.plan import ErasureRefusedError
from officebridge.erasure.run import EraseRequest, erase
from officebridge.errors import MappingError
from officebridge.pair.loader import parse_pair
from officebridge.pair.runner import run_pair
from officebridge.state import StateStore
from officebridge.sync.run import RunOptions
from officebridge.testing.memory import MemorySystem, forget_system, memory_system
from officebridge.testing.memory.connector import MemoryConnector

PAIR = "contacts_pair"
HEAD = """\
version: 1
name: contacts_pair
two_way:
  a: {system: memory, connection: crm_test, object: contact, cursor: updated_at, deletes: true,
      match: external_ref, on_delete: archive}
  b: {system: memory, connection: erp_test, object: contact, cursor: updated_at, deletes: true,
      match: external_ref, on_delete: archive}
fields:
  last_name: {a: last_name, b: last_name, conflict: newest_wins}
  first_name: {a: first_name, b: first_name, owner: a}
  email: {a: email, b: email, owner: a}
a_to_b:
  external_ref: id
b_to_a:
  external_ref: id
"""
EMAIL = "Zelda.Quokkaberg@Example.org"
VALUES = (b"Zelda", b"Quokkaberg", EMAIL.encode(), EMAIL.lower().encode())


@dataclass
class World:
    crm: MemorySystem
    erp: MemorySystem
    store: StateStore
    mappings: Path
    state_file: Path

    def write_pair(self, erasure: str) -> None:
        (self.mappings / "pairs" / f"{PAIR}.yaml").write_text(HEAD + erasure)

    def run(self) -> None:
        run_pair(self.mappings / "pairs" / f"{PAIR}.yaml", self.store, RunOptions())

    @staticmethod
    def contacts(system: MemorySystem) -> dict[str, dict[str, Any]]:
        return {r["id"]: r for r in system.rows("contact") if r.get("active", True)}

    def person(self) -> str:
        conn = MemoryConnector(parse_connection("user", self.crm.connection_value()))
        values = {"first_name": "Zelda", "last_name": "Quokkaberg", "email": EMAIL}
        [result] = conn.write("contact", [WriteOp(OpKind.CREATE, "new", values)])
        assert result.ok and result.target_id
        return str(result.target_id)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    crm = memory_system(f"crm-{uuid.uuid4().hex[:8]}")
    erp = memory_system(f"erp-{uuid.uuid4().hex[:8]}")
    crm.seed(accounts=3, seed=5)
    monkeypatch.setenv("OFFICEBRIDGE_NO_AIRFLOW_LOOKUP", "1")
    monkeypatch.setenv("OFFICEBRIDGE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AIRFLOW_CONN_CRM_TEST", crm.connection_value())
    monkeypatch.setenv("AIRFLOW_CONN_ERP_TEST", erp.connection_value())
    mappings = tmp_path / "mappings"
    (mappings / "pairs").mkdir(parents=True)
    state_file = tmp_path / "state.db"
    store = StateStore.open(f"sqlite:///{state_file}")
    try:
        yield World(crm, erp, store, mappings, state_file)
    finally:
        store.close()
        forget_system(crm.host)
        forget_system(erp.host)


def _state_bytes(world: World) -> bytes:
    """The SQLite state file and its write-ahead log, as bytes, lower-cased."""
    return b"".join(p.read_bytes() for p in sorted(world.state_file.parent.glob("state.db*"))).lower()


def _pair_links(world: World) -> dict[str, str]:
    return {link.a_id: link.b_id for page in world.store.iter_pair_links(PAIR) for link in page}


def test_a_person_on_side_a_is_erased_on_both_sides_and_the_pair_forgets_them(world: World) -> None:
    world.write_pair("erasure:\n  identify: email\n  a: delete\n  b: delete\n")
    crm_id = world.person()
    world.run()
    links = _pair_links(world)
    erp_id = links[crm_id]
    others = len(links) - 1
    assert others > 0 and world.contacts(world.erp)[erp_id]["email"] == EMAIL
    assert b"quokkaberg" in _state_bytes(world)  # the pair link's bases hold the person: the grep can fail

    outcome = erase(EraseRequest(email=EMAIL, mappings_dir=world.mappings), world.store)

    assert outcome.ok
    assert sorted((s.record.object, s.record.id, s.action, s.status) for s in outcome.plan.steps) == sorted(
        [("contact", crm_id, "delete", "done"), ("contact", erp_id, "delete", "done")]
    )
    assert crm_id not in world.contacts(world.crm) and erp_id not in world.contacts(world.erp)
    remaining = _pair_links(world)
    assert crm_id not in remaining and erp_id not in remaining.values() and len(remaining) == others
    assert outcome.forgotten.links == 1  # the one pair link row
    world.store.close()
    held = _state_bytes(world)
    assert [v for v in VALUES if v.lower() in held] == []


def test_anonymise_on_both_sides_writes_each_side_s_values_and_forgets_the_link(world: World) -> None:
    erased = "{anonymise: {email: null, last_name: '[erased]', first_name: null}}"
    world.write_pair(f"erasure:\n  identify: email\n  a: {erased}\n  b: {erased}\n")
    crm_id = world.person()
    world.run()
    erp_id = _pair_links(world)[crm_id]
    outcome = erase(EraseRequest(email=EMAIL, mappings_dir=world.mappings), world.store)
    assert outcome.ok and {s.record.id: s.action for s in outcome.plan.steps} == {
        crm_id: "anonymise",
        erp_id: "anonymise",
    }
    for system, record_id in ((world.crm, crm_id), (world.erp, erp_id)):
        row = world.contacts(system)[record_id]
        assert (row["email"], row["last_name"], row["first_name"]) == (None, "[erased]", None)
    assert _pair_links(world).get(crm_id) is None


def test_anonymising_one_side_while_deleting_the_other_is_refused_before_anything_changes(
    world: World,
) -> None:
    world.write_pair("erasure:\n  identify: email\n  a: {anonymise: {email: null}}\n  b: delete\n")
    crm_id = world.person()
    world.run()
    erp_id = _pair_links(world)[crm_id]
    with pytest.raises(ErasureRefusedError, match="create the memory contact record again"):
        erase(EraseRequest(email=EMAIL, mappings_dir=world.mappings), world.store)
    assert world.contacts(world.erp)[erp_id]["email"] == EMAIL and _pair_links(world)[crm_id] == erp_id


def test_a_bad_erasure_block_in_a_two_way_file_is_reported_with_its_position() -> None:
    with pytest.raises(MappingError) as caught:
        parse_pair(HEAD + "erasure:\n  identify: mail\n  a: delete\n  b: keep\n", "p.yaml")
    line = HEAD.count("\n") + 2
    assert [str(p) for p in caught.value.problems] == [
        f"p.yaml:{line}:13: [erasure.identify] erasure.identify names the shared field holding the person's "
        "email (got 'mail'); did you mean 'email'?"
    ]
    with pytest.raises(MappingError) as caught:
        parse_pair(HEAD + "erasure:\n  identify: email\n  a: delet\n  b: keep\n", "p.yaml")
    assert [str(p) for p in caught.value.problems] == [
        f"p.yaml:{line + 1}:6: [erasure.a] erasure.a must be delete, keep or {{anonymise: {{field: value}}}} "
        "(got 'delet'); did you mean 'delete'?"
    ]


def test_the_pair_s_open_conflict_quoting_the_person_is_forgotten_too(world: World) -> None:
    world.write_pair("erasure:\n  identify: email\n  a: delete\n  b: delete\n")
    text = (world.mappings / "pairs" / f"{PAIR}.yaml").read_text()
    (world.mappings / "pairs" / f"{PAIR}.yaml").write_text(
        text.replace(
            "first_name: {a: first_name, b: first_name, owner: a}",
            "first_name: {a: first_name, b: first_name, conflict: manual}",
        )
    )
    crm_id = world.person()
    world.run()
    erp_id = _pair_links(world)[crm_id]
    for system, record_id, name in ((world.crm, crm_id, "Zeldina"), (world.erp, erp_id, "Zeldora")):
        conn = MemoryConnector(parse_connection("user", system.connection_value()))
        assert conn.write("contact", [WriteOp(OpKind.UPDATE, record_id, {"first_name": name}, record_id)])[
            0
        ].ok
    world.run()
    assert [d.source_id for d in world.store.dead_letters(PAIR)] == [crm_id]  # a conflict quoting both names
    outcome = erase(EraseRequest(email=EMAIL, mappings_dir=world.mappings), world.store)
    assert outcome.ok and outcome.forgotten.dead_letters == 1 and outcome.forgotten.links == 1
    assert world.store.dead_letters(PAIR) == []
    world.store.close()
    held = _state_bytes(world)
    assert [v for v in (*VALUES, b"zeldina", b"zeldora") if v in held] == []
