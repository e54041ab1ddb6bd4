"""The shipped two-way pair between the Salesforce and Odoo sandboxes, through the real clients."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from officebridge.pair.runner import run_pair
from officebridge.state import StateStore
from officebridge.sync.run import RunOptions, RunResult
from tests.integration.sync import conftest as sync
from tests.integration.sync.conftest import ACCOUNTS, MAPPINGS, Bridge

__all__ = ["ACCOUNTS", "PAIR", "PairBridge"]

PAIR = MAPPINGS / "pairs" / "salesforce_account_odoo_company.yaml"
PAIR_NAME = "salesforce_account_odoo_company"
WRITES = (".create", ".write", ".unlink")

bridge_on = sync.bridge_on  # both sandboxes fresh, their connections set (a fixture)


@dataclass
class PairBridge(Bridge):
    def run_pair(self, path: Path = PAIR) -> list[RunResult]:
        return run_pair(path, self.store, RunOptions(overlap=timedelta(0)))

    def odoo_writes(self) -> dict[str, int]:
        return {m: n for m, n in self.odoo.stats()["by_method"].items() if m.endswith(WRITES)}

    def sf_writes(self) -> dict[str, int]:
        ops = self.sf.stats()["by_operation"]
        return {op: n for op, n in ops.items() if op.split(" ", 1)[0] in ("POST", "PATCH", "DELETE")
                and "login" not in op and "oauth2" not in op}  # fmt: skip

    def reset_stats(self) -> None:
        self.odoo.reset_stats()
        self.sf.reset_stats()

    def account(self, account_id: str, fields: str) -> dict[str, Any]:
        [row] = self.sf_records(f"SELECT {fields} FROM Account WHERE Id = '{account_id}'")
        return row

    def company(self, account_id: str, fields: list[str]) -> dict[str, Any]:
        [row] = self.partners([["ref", "=", account_id]], ["id", *fields])
        return row

    def conflicts(self) -> list[Any]:
        return [d for d in self.store.dead_letters(PAIR_NAME, limit=1000) if d.stage == "conflict"]


@pytest.fixture
def pair_bridge(bridge_on: Any, sqlite_state_url: str) -> Iterator[PairBridge]:
    store = StateStore.open(sqlite_state_url)
    base = bridge_on(store)
    yield PairBridge(base.sf, base.odoo, base.sf_client, base.odoo_client, store)
    store.close()
