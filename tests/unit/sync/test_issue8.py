"""Issue 8 on two in-memory systems: nothing written twice in any mode, one lifecycle and lock, watermarks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from officebridge.connections import parse_connection
from officebridge.connector import OpKind, WriteOp
from officebridge.errors import RetriableError, SyncLockedError
from officebridge.retry import RetryPolicy
from officebridge.sync.lifecycle import partition_lock
from officebridge.sync.partitions import Partition, run_partition
from officebridge.sync.run import RunOptions
from officebridge.sync.runner import prepared
from officebridge.testing.memory.connector import MemoryConnector
from tests.unit.sync.conftest import ACCOUNTS, Pair

FAST = RetryPolicy(attempts=3, base=0.0, cap=0.0)


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Connectors retry with the default policy: no waiting between tries in these tests."""
    monkeypatch.setattr(RetryPolicy, "delay", lambda self, attempt, retry_after: 0.0)


def _mapping(pair: Pair, name: str, target: str) -> Path:
    text = ACCOUNTS.replace("name: crm_accounts", f"name: {name}")
    text = text.replace(
        "target: {system: memory, connection: erp_test, object: account, match: external_ref, mode: upsert,\n"
        "         on_delete: archive}",
        target,
    )
    path = pair.mappings / f"{name}.yaml"
    path.write_text(text)
    return path


def _fail_second_create(pair: Pair) -> None:
    pair.erp.add_fault("slow", operation="account.create", seconds=0)  # the first request goes through
    pair.erp.add_fault(
        "server_error", operation="account.create", status=503, times=6
    )  # outlives the connector


def test_insert_without_match_writes_nothing_twice_after_a_transient_failure(pair: Pair) -> None:
    path = _mapping(pair, "crm_log", "target: {system: memory, connection: erp_test, object: account, "
                    "mode: insert, batch_size: 5}")  # fmt: skip
    _fail_second_create(pair)
    with pytest.raises(RetriableError) as failed:  # the connector spent its retries: the run does not
        pair.run(path, retry=FAST)  # multiply them, it fails (the scheduler runs it again)
    assert failed.value.attempts > 1
    landed = len(pair.erp.rows("account"))
    assert 0 < landed < 20  # the first chunk landed and was committed
    result = pair.run(path, retry=FAST)
    assert (result.status, result.counts.created) == ("succeeded", 20 - landed)
    refs = [r["external_ref"] for r in pair.erp.rows("account")]
    assert len(refs) == len(set(refs)) == 20


def test_insert_without_match_never_resends_a_write_of_unknown_outcome(pair: Pair) -> None:
    path = _mapping(pair, "crm_log", "target: {system: memory, connection: erp_test, object: account, "
                    "mode: insert}")  # fmt: skip
    pair.erp.add_fault("drop", operation="account.create", after=True)
    assert pair.run(path).counts.failed == 20
    again = pair.run(path, settle=timedelta(0))  # settled long ago: still nothing can find them
    assert again.counts.created == 0 and pair.writes(pair.erp) == {"account.create": 1}
    assert len(pair.erp.rows("account")) == 20
    assert {d.error_code for d in pair.store.dead_letters("crm_log")} == {"OUTCOME_UNKNOWN"}


def test_insert_with_match_links_what_it_adopts_so_links_through_it_resolve(pair: Pair) -> None:
    pair.accounts.write_text(pair.accounts.read_text().replace("mode: upsert", "mode: insert"))
    pair.erp.add_fault("drop", operation="account.create", after=True)
    pair.run(pair.accounts)
    settled = pair.run(pair.accounts, settle=timedelta(0))
    assert settled.counts.failed == 0 and settled.notes["adopted"] == 20
    ids = [r["id"] for r in pair.crm.rows("account")]
    assert len(pair.store.target_ids("crm_accounts", ids)) == 20
    contacts = pair.run(pair.contacts)
    assert contacts.counts.failed == 0 and contacts.counts.created == len(pair.crm.rows("contact"))


def test_a_target_record_deleted_by_hand_is_created_again_and_said(pair: Pair) -> None:
    pair.run(pair.accounts)
    victim = pair.crm.rows("account")[3]
    target_id = pair.erp_rows("account")[victim["id"]]["id"]
    erp = MemoryConnector(parse_connection("erp_user", pair.erp.connection_value()))
    assert erp.write("account", [WriteOp(OpKind.DELETE, "x", target_id=target_id)])[0].ok
    pair.crm_update("account", victim["id"], city="Rebuilt")
    result = pair.run(pair.accounts)
    assert (result.counts.created, result.counts.failed, result.notes["recreated"]) == (1, 0, 1)
    assert pair.erp_rows("account")[victim["id"]]["city"] == "Rebuilt"
    assert pair.store.dead_letters("crm_accounts") == []
    assert pair.run(pair.accounts).counts.written == 0


def test_a_future_stamp_never_moves_the_watermark_past_the_run_start(pair: Pair) -> None:
    skewed = pair.crm.rows("account")[0]["id"]
    pair.crm.touch("account", [skewed], datetime.now(UTC) + timedelta(days=3))
    first = pair.run(pair.accounts)
    mark = pair.store.watermark("crm_accounts")
    assert isinstance(mark, datetime) and mark <= datetime.now(UTC)
    assert first.notes["future_stamps"]["count"] == 1 and first.notes["warnings"]
    edited = pair.crm.rows("account")[5]["id"]
    pair.crm_update("account", edited, city="Seen")
    second = pair.run(pair.accounts)
    assert second.counts.updated == 1 and pair.erp_rows("account")[edited]["city"] == "Seen"
    assert pair.store.last_run("crm_accounts").detail["notes"]["future_stamps"]["count"] == 1  # type: ignore[union-attr]


def test_a_change_that_arrives_late_inside_the_overlap_is_synced_and_reported(pair: Pair) -> None:
    pair.run(pair.accounts)
    mark = pair.store.watermark("crm_accounts")
    assert isinstance(mark, datetime)
    late = pair.crm.rows("account")[2]["id"]
    pair.crm_update("account", late, city="Late")
    pair.crm.touch("account", [late], mark - timedelta(minutes=4))  # committed 4 minutes late
    result = pair.run(pair.accounts)
    assert result.counts.updated == 1
    assert (
        result.notes["late_arrivals"]["count"] == 1
        and result.notes["late_arrivals"]["max_lag_seconds"] >= 239
    )
    assert any("overlap" in w for w in result.notes["warnings"])  # 4 of 5 minutes used


def test_a_run_refuses_while_a_partition_holds_its_lock_and_the_reverse(pair: Pair) -> None:
    with pair.store.lock(partition_lock("crm_accounts", 0, 2), ttl=60), pytest.raises(SyncLockedError):
        pair.run(pair.accounts)
    assert pair.erp.rows("account") == []
    part = Partition(0, 2, None, datetime.now(UTC) + timedelta(days=1))
    with prepared(pair.accounts, pair.store, RunOptions()) as run:
        with pair.store.lock("crm_accounts", ttl=60), pytest.raises(SyncLockedError):
            run_partition(run, part)
        assert pair.erp.rows("account") == []
        result = run_partition(run, part)  # free now: the same lifecycle as every run
    assert result.counts.created == 20 and pair.store.watermark("crm_accounts") is None
    detail = pair.store.run(result.run_id).detail  # type: ignore[arg-type,union-attr]
    assert detail["partition"]["index"] == 0 and detail["max_cursor"]


def test_a_dead_partition_is_closed_by_its_heartbeat_not_its_start_time(pair: Pair) -> None:
    stale = pair.store.start_run("crm_accounts", detail={"partition": {"index": 1, "count": 2}})
    with pair.store.lock(partition_lock("crm_accounts", 1, 2), ttl=60), pytest.raises(SyncLockedError):
        pair.run(pair.accounts)  # its lock is alive: it is running, however long ago it started
    assert pair.store.run(stale).status == "running"  # type: ignore[union-attr]
    assert pair.run(pair.accounts).counts.created == 20  # lock gone: it died; closed as interrupted
    assert pair.store.run(stale).status == "failed"  # type: ignore[union-attr]


def test_one_malformed_reference_value_dead_letters_only_its_record(pair: Pair) -> None:
    pair.run(pair.accounts)
    contact = pair.crm.rows("contact")[0]["id"]
    pair.crm.touch("contact", [], datetime.now(UTC))
    with pair.crm._lock:  # a value no real id can have (the CRM's own checks were bypassed)
        pair.crm.store.rows["contact"][contact]["account_id"] = "bad\x00id"
    result = pair.run(pair.contacts)
    assert result.status == "partial" and result.counts.failed == 1
    [letter] = pair.store.dead_letters("crm_contacts")
    assert (letter.source_id, letter.error_code) == (contact, "REFERENCE_INVALID")
    assert result.counts.created == len(pair.crm.rows("contact")) - 1


def test_an_expression_bomb_at_run_time_fails_its_record_and_the_run_goes_on(pair: Pair) -> None:
    text = pair.accounts.read_text().replace(
        "  city: {copy: city}", "  city: {expr: 'str([name] * employees * 10000)'}"
    )
    text = text.replace("name: crm_accounts", "name: crm_bomb")
    path = pair.mappings / "crm_bomb.yaml"
    path.write_text(text)
    result = pair.run(path)
    assert result.status == "partial" and result.counts.failed == 20
    assert {d.error_code for d in pair.store.dead_letters("crm_bomb")} == {"EXPRESSION_FAILED"}
