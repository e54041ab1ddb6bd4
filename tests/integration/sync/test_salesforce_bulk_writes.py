"""A real sync into Salesforce picks Bulk API 2.0 on its own: the manifest's `max_write_call` lets the
engine hand the connector a whole page, so a page of 2,000 creates (`bulk_write_threshold`) is one
ingest job; a fault on one composite chunk dead-letters that chunk's records only; a job whose
results cannot be read parks its records, and the next run finds them instead of creating them again.

The source is the in-memory reference system (the engine's own test double); the target is the
Salesforce sandbox through simple-salesforce over HTTPS.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.salesforce.sandbox import SalesforceSandbox
from officebridge.connector import OUTCOME_UNKNOWN
from officebridge.state import StateStore
from officebridge.sync.run import RunOptions, RunResult
from officebridge.sync.runner import replay, run_mapping
from officebridge.testing.memory import MemorySystem, forget_system, memory_system

SYNC = "crm_accounts_to_salesforce"
MAPPING = f"""\
version: 1
name: {SYNC}
source: {{system: memory, connection: crm_bulk, object: account, cursor: updated_at}}
target: {{system: salesforce, object: Account, match: External_Id__c}}
fields:
  External_Id__c: external_ref
  Name: name
  Site: {{constant: bulk-sync}}
"""
INVALID_FIELD = [{"errorCode": "INVALID_FIELD", "message": "No such column 'Bogus__c' on entity 'Account'"}]


@dataclass
class IntoSalesforce:
    crm: MemorySystem
    sf: SalesforceSandbox
    store: StateStore
    mapping: Path
    monkeypatch: pytest.MonkeyPatch

    def accounts(self, n: int) -> None:
        rows = [{"name": f"Bulk {i:05d}", "external_ref": f"BK-{i:05d}"} for i in range(n)]
        self.crm.insert("account", rows)

    def connection(self, **extra: Any) -> None:
        data = json.loads(self.sf.connection_value())
        data["extra"].update(extra)
        self.monkeypatch.setenv("AIRFLOW_CONN_SALESFORCE_DEFAULT", json.dumps(data))

    def run(self, **options: Any) -> RunResult:
        return run_mapping(self.mapping, self.store, RunOptions(**options))

    def linked(self) -> dict[str, str]:
        return {k.source_id: k.target_id for page in self.store.iter_links(SYNC) for k in page}

    def in_salesforce(self) -> dict[str, int]:
        """How many Accounts hold each external id (2 would be a duplicate)."""
        rows = self.sf.store.query(
            'SELECT "External_Id__c", COUNT(*) FROM "Account" WHERE "Site" = \'bulk-sync\' '
            'AND "IsDeleted" = 0 GROUP BY "External_Id__c"'
        )
        return {str(r[0]): int(r[1]) for r in rows}

    def calls(self, operation: str) -> int:
        return int(self.sf.stats()["by_operation"].get(operation, 0))


@pytest.fixture
def into_sf(
    sf_sandbox_fresh: SalesforceSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[IntoSalesforce]:
    crm = memory_system(f"crm-{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("OFFICEBRIDGE_NO_AIRFLOW_LOOKUP", "1")
    monkeypatch.setenv("OFFICEBRIDGE_RETRY_ATTEMPTS", "3")
    monkeypatch.setenv("OFFICEBRIDGE_RETRY_BASE", "0.01")
    monkeypatch.setenv("AIRFLOW_CONN_CRM_BULK", crm.connection_value())
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    path = mappings / f"{SYNC}.yaml"
    path.write_text(MAPPING)
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    box = IntoSalesforce(crm, sf_sandbox_fresh, store, path, monkeypatch)
    box.connection(bulk_wait=30)
    try:
        yield box
    finally:
        store.close()
        forget_system(crm.host)


def test_a_page_of_2000_creates_goes_through_one_ingest_job_and_every_record_is_linked(
    into_sf: IntoSalesforce,
) -> None:
    into_sf.accounts(2500)
    result = into_sf.run()  # default read_batch 2,000: a page of 2,000, then one of 500
    assert result.status == "succeeded", result.error
    assert result.counts.created == 2500 and result.counts.failed == 0
    assert into_sf.calls("POST jobs/ingest") == 1  # the full page, at bulk_write_threshold
    assert into_sf.calls("POST composite/sobjects") == 3  # the 500 of the last page
    held = [j for j in into_sf.sf.bulk.jobs.values() if j.kind == "ingest"]
    assert [len(j.successes) for j in held] == [2000]
    in_sf = into_sf.in_salesforce()
    assert len(in_sf) == 2500 and set(in_sf.values()) == {1}
    linked = into_sf.linked()
    assert len(linked) == 2500 and len(set(linked.values())) == 2500
    into_sf.sf.reset_stats()
    again = into_sf.run()
    assert again.counts.unchanged == 2500 and again.counts.created == 0
    assert into_sf.calls("POST jobs/ingest") == 0 and into_sf.calls("POST composite/sobjects") == 0


def test_a_read_page_of_2500_is_one_job_of_2500(into_sf: IntoSalesforce) -> None:
    into_sf.accounts(2500)
    result = into_sf.run(read_batch=5000)  # the page bounds the write call: one call of 2,500 creates
    assert result.counts.created == 2500
    assert into_sf.calls("POST jobs/ingest") == 1 and into_sf.calls("POST composite/sobjects") == 0
    assert len(into_sf.linked()) == 2500 and len(into_sf.in_salesforce()) == 2500


def test_the_mappings_batch_size_still_caps_the_write_call(into_sf: IntoSalesforce) -> None:
    into_sf.mapping.write_text(
        MAPPING.replace("match: External_Id__c}", "match: External_Id__c, batch_size: 500}")
    )
    into_sf.accounts(2000)
    result = into_sf.run()
    assert result.counts.created == 2000
    assert into_sf.calls("POST jobs/ingest") == 0  # calls of 500: under bulk_write_threshold
    assert into_sf.calls("POST composite/sobjects") == 12  # 500 = 200 + 200 + 100, four times


def test_a_refused_composite_chunk_dead_letters_its_records_only_and_replay_sends_them(
    into_sf: IntoSalesforce,
) -> None:
    into_sf.accounts(1000)
    into_sf.connection(bulk="never")
    into_sf.sf.add_fault("slow", seconds=0, operation="POST composite/sobjects", times=2)  # let two pass
    into_sf.sf.add_fault("raw", status=400, body=INVALID_FIELD, content_type="application/json",
                         operation="POST composite/sobjects")  # fmt: skip
    result = into_sf.run()
    assert result.status == "partial", result.error
    assert result.counts.created == 800 and result.counts.failed == 200
    letters = into_sf.store.dead_letters(SYNC, limit=1000)
    assert len(letters) == 200 and {d.error_code for d in letters} == {"INVALID_FIELD"}
    assert len(into_sf.linked()) == 800 and len(into_sf.in_salesforce()) == 800
    assert not set(into_sf.linked()) & {d.source_id for d in letters}  # the refused chunk is not linked
    replay(into_sf.store, letters, into_sf.mapping.parent)
    assert len(into_sf.linked()) == 1000
    in_sf = into_sf.in_salesforce()
    assert len(in_sf) == 1000 and set(in_sf.values()) == {1}
    assert not into_sf.store.dead_letters(SYNC)


def test_a_job_whose_results_cannot_be_read_parks_its_records_and_the_next_run_adopts_them(
    into_sf: IntoSalesforce,
) -> None:
    into_sf.accounts(2000)
    into_sf.sf.add_fault("server_error", status=503, operation=r"GET jobs/ingest/\{id\}/\w+", times=None)
    first = into_sf.run(settle=timedelta(0))
    assert first.status == "partial" and first.counts.failed == 2000
    letters = into_sf.store.dead_letters(SYNC, limit=5000)
    assert {d.error_code for d in letters} == {OUTCOME_UNKNOWN} and len(letters) == 2000
    assert len(into_sf.in_salesforce()) == 2000  # the job did apply them
    assert into_sf.calls("POST composite/sobjects") == 0  # never resent blindly
    into_sf.sf.clear_faults()
    into_sf.sf.reset_stats()
    second = into_sf.run(settle=timedelta(0))  # settled: looked up by External_Id__c first
    assert second.status == "succeeded", second.error
    in_sf = into_sf.in_salesforce()
    assert len(in_sf) == 2000 and set(in_sf.values()) == {1}  # found, not created again
    assert len(into_sf.linked()) == 2000 and not into_sf.store.dead_letters(SYNC)
    assert into_sf.calls("POST jobs/ingest") == 0 and into_sf.calls("POST composite/sobjects") == 0


def test_a_rate_limit_storm_mid_call_keeps_what_landed_and_letters_the_rest_as_retriable(
    into_sf: IntoSalesforce,
) -> None:
    into_sf.accounts(1000)
    into_sf.connection(bulk="never")
    into_sf.sf.add_fault("slow", seconds=0, operation="POST composite/sobjects", times=2)
    into_sf.sf.add_fault("rate_limit", retry_after=0, operation="POST composite/sobjects", times=None)
    result = into_sf.run()
    assert result.status == "partial" and result.counts.created == 400 and result.counts.failed == 600
    letters = into_sf.store.dead_letters(SYNC, limit=1000)
    assert sorted({d.error_code for d in letters}) == ["NOT_SENT", "REQUEST_FAILED"]
    assert len(into_sf.linked()) == 400 and len(into_sf.in_salesforce()) == 400
    into_sf.sf.clear_faults()
    replay(into_sf.store, letters, into_sf.mapping.parent)
    assert len(into_sf.linked()) == 1000 and set(into_sf.in_salesforce().values()) == {1}
