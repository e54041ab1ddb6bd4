"""Two in-memory systems kept in step by one two-way mapping, and a SQLite state store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from officebridge.connections import parse_connection
from officebridge.connector import OpKind, WriteOp
from officebridge.pair.runner import run_pair
from officebridge.state import StateStore
from officebridge.sync.run import RunOptions, RunResult
from officebridge.testing.memory import MemorySystem, forget_system, memory_system
from officebridge.testing.memory.connector import MemoryConnector

PAIR = """\
version: 1
name: accounts_pair
two_way:
  a: {system: memory, connection: crm_test, object: account, cursor: updated_at, deletes: true,
      match: external_ref, on_delete: archive}
  b: {system: memory, connection: erp_test, object: account, cursor: updated_at, deletes: true,
      match: external_ref, on_delete: archive}
fields:
  name: {a: name, b: name, conflict: newest_wins}
  city: {a: city, b: city, owner: b}
  rating: {a: rating, b: rating, conflict: manual}
  employees: {a: employees, b: employees, owner: a}
a_to_b:
  external_ref: id
b_to_a:
  external_ref: id
"""


@dataclass
class Systems:
    crm: MemorySystem
    erp: MemorySystem
    store: StateStore
    file: Path

    def run(self, **options: Any) -> list[RunResult]:
        return run_pair(
            self.file, self.store, RunOptions(overlap=__import__("datetime").timedelta(0), **options)
        )

    def edit(self, system: MemorySystem, record_id: str, **values: Any) -> None:
        """Change a system as one of its users would (through its own API)."""
        conn = MemoryConnector(parse_connection("user", system.connection_value()))
        assert all(
            r.ok for r in conn.write("account", [WriteOp(OpKind.UPDATE, record_id, values, record_id)])
        )

    def create(self, system: MemorySystem, **values: Any) -> str:
        conn = MemoryConnector(parse_connection("user", system.connection_value()))
        [result] = conn.write("account", [WriteOp(OpKind.CREATE, "new", values)])
        assert result.ok and result.target_id
        return str(result.target_id)

    def delete(self, system: MemorySystem, record_id: str) -> None:
        conn = MemoryConnector(parse_connection("user", system.connection_value()))
        assert all(r.ok for r in conn.write("account", [WriteOp(OpKind.DELETE, record_id, {}, record_id)]))

    @staticmethod
    def live(system: MemorySystem) -> dict[str, dict[str, Any]]:
        return {r["id"]: r for r in system.rows("account") if r.get("active", True)}

    def edit_rating_on_both_sides(self) -> tuple[str, str, str, str, str]:
        """After a sync: one account's rating changed differently on each side (a manual conflict
        for the next run). Returns both ids, the value both had, and the two new values."""
        crm_id = sorted(self.live(self.crm))[0]
        erp_id = self.partner(crm_id)["id"]
        was = self.live(self.crm)[crm_id]["rating"]
        mine, theirs = [r for r in ("Hot", "Warm", "Cold") if r != was]
        self.edit(self.crm, crm_id, rating=mine)
        self.edit(self.erp, erp_id, rating=theirs)
        return crm_id, erp_id, str(was), mine, theirs

    def partner(self, crm_id: str) -> dict[str, Any]:
        [row] = [r for r in self.erp.rows("account") if r["external_ref"] == crm_id]
        return row


@pytest.fixture
def systems(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Systems]:
    crm = memory_system(f"crm-{uuid.uuid4().hex[:8]}")
    erp = memory_system(f"erp-{uuid.uuid4().hex[:8]}")
    crm.seed(accounts=5, seed=3)
    monkeypatch.setenv("OFFICEBRIDGE_NO_AIRFLOW_LOOKUP", "1")
    monkeypatch.setenv("AIRFLOW_CONN_CRM_TEST", crm.connection_value())
    monkeypatch.setenv("AIRFLOW_CONN_ERP_TEST", erp.connection_value())
    file = tmp_path / "accounts_pair.yaml"
    file.write_text(PAIR)
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        yield Systems(crm, erp, store, file)
    finally:
        store.close()
        forget_system(crm.host)
        forget_system(erp.host)
