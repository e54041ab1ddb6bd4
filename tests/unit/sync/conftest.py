"""Two in-memory systems (a CRM and an ERP), their connections, mapping files and a SQLite state store.

The engine is driven through its public entry points (`run_mapping`,
`preview_mapping`, `replay`) exactly as the CLI drives it; only the systems
are in memory, so each test takes milliseconds, not a sandbox start.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from officebridge.connections import parse_connection
from officebridge.connector import OpKind, WriteOp
from officebridge.state import StateStore
from officebridge.sync.run import RunOptions, RunResult
from officebridge.sync.runner import run_mapping
from officebridge.testing.memory import MemorySystem, forget_system, memory_system
from officebridge.testing.memory.connector import MemoryConnector
from officebridge.testing.memory.system import COUNTRIES

ACCOUNTS = """\
version: 1
name: crm_accounts
source: {system: memory, connection: crm_test, object: account, cursor: updated_at, deletes: true}
target: {system: memory, connection: erp_test, object: account, match: external_ref, mode: upsert,
         on_delete: archive}
fields:
  external_ref: id
  name: {copy: name, transforms: [strip]}
  city: {copy: city}
  country_id:
    lookup: {object: country, field: name, from: country}
    missing: "null"
"""

CONTACTS = """\
version: 1
name: crm_contacts
source: {system: memory, connection: crm_test, object: contact, deletes: true}
target: {system: memory, connection: erp_test, object: contact, match: external_ref, on_delete: archive}
fields:
  external_ref: id
  last_name: last_name
  first_name: first_name
  email: {copy: email, transforms: [strip, lower]}
  account_id:
    link: {sync: crm_accounts, from: account_id}
    missing: error
"""


@dataclass
class Pair:
    crm: MemorySystem
    erp: MemorySystem
    store: StateStore
    mappings: Path

    @property
    def accounts(self) -> Path:
        return self.mappings / "crm_accounts.yaml"

    @property
    def contacts(self) -> Path:
        return self.mappings / "crm_contacts.yaml"

    def run(self, mapping: Path, **options: Any) -> RunResult:
        return run_mapping(mapping, self.store, RunOptions(**options))

    def crm_write(self, object_name: str, ops: list[WriteOp]) -> None:
        """Change the CRM as one of its users would (through its own API)."""
        conn = MemoryConnector(parse_connection("crm_user", self.crm.connection_value()))
        assert all(r.ok for r in conn.write(object_name, ops))

    def crm_update(self, object_name: str, record_id: str, **values: Any) -> None:
        self.crm_write(object_name, [WriteOp(OpKind.UPDATE, record_id, values, target_id=record_id)])

    def erp_rows(self, object_name: str, **kwargs: Any) -> dict[str, dict[str, Any]]:
        """ERP records by the CRM id they carry (external_ref)."""
        return {r["external_ref"]: r for r in self.erp.rows(object_name, **kwargs) if r["external_ref"]}

    def writes(self, system: MemorySystem) -> dict[str, int]:
        kinds = tuple(f".{k.value}" for k in OpKind)
        return {op: n for op, n in system.stats()["by_operation"].items() if op.endswith(kinds)}


@pytest.fixture
def pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Pair]:
    crm = memory_system(f"crm-{uuid.uuid4().hex[:8]}")
    erp = memory_system(f"erp-{uuid.uuid4().hex[:8]}")
    crm.seed(accounts=20, seed=3)
    erp.insert("country", [{"code": c, "name": n} for c, n in COUNTRIES.items()])
    erp.reset_stats()
    monkeypatch.setenv("OFFICEBRIDGE_NO_AIRFLOW_LOOKUP", "1")
    monkeypatch.setenv("AIRFLOW_CONN_CRM_TEST", crm.connection_value())
    monkeypatch.setenv("AIRFLOW_CONN_ERP_TEST", erp.connection_value())
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    (mappings / "crm_accounts.yaml").write_text(ACCOUNTS)
    (mappings / "crm_contacts.yaml").write_text(CONTACTS)
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        yield Pair(crm, erp, store, mappings)
    finally:
        store.close()
        forget_system(crm.host)
        forget_system(erp.host)
