"""`mode: insert` without `match`: a create that landed but was never recorded is not sent again.

Nothing can look such records up in the target, so before each create chunk the
run commits an IN_FLIGHT dead letter per record, and the chunk's commit clears
them. Here the process is killed with SIGKILL while Odoo drips the answer of a
create it has already applied (the sandbox kit's `drip` fault): the rerun leaves
exactly those records parked as open letters saying a person must check, creates
the rest once, and a person's replay after checking sends them again.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from officebridge.errors import RetriableError
from officebridge.state import StateStore
from officebridge.state.dead_letters import IN_FLIGHT
from officebridge.sync.runner import replay
from tests.integration.sync.conftest import ACCOUNTS, Bridge

SYNC = "salesforce_account_log_to_odoo"
CHUNK = 50


def insert_mapping(folder: Path) -> Path:
    """The shipped Account sync as an append-only log: `mode: insert`, no `match`, chunks of 50."""
    text = ACCOUNTS.read_text()
    text = text.replace("name: salesforce_account_to_odoo", f"name: {SYNC}")
    text = text.replace(
        "  match: ref\n  mode: upsert\n  on_delete: archive\n", f"  mode: insert\n  batch_size: {CHUNK}\n"
    )
    text = text.replace("  deletes: true\n", "")
    text = text.split("\n# Every company is checked")[0] + "\n"
    assert "match:" not in text and "mode: insert" in text
    path = folder / f"{SYNC}.yaml"
    path.write_text(text)
    return path


def start_run(mapping: Path, state_url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OFFICEBRIDGE_RETRY_ATTEMPTS": "2", "OFFICEBRIDGE_RETRY_BASE": "0.05"}
    cmd = [sys.executable, "-m", "officebridge.cli", "--state-url", state_url, "run", str(mapping)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture
def patient_odoo(bridge: Bridge, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Odoo connection waits long enough for the held answer (the kill comes first)."""
    conn = json.loads(os.environ["AIRFLOW_CONN_ODOO_DEFAULT"])
    conn["extra"] = {**conn.get("extra", {}), "timeout": 120}
    monkeypatch.setenv("AIRFLOW_CONN_ODOO_DEFAULT", json.dumps(conn))


@pytest.mark.slow
@pytest.mark.usefixtures("patient_odoo")
def test_kill_9_after_a_create_landed_unrecorded_parks_it_and_writes_nothing_twice(
    bridge: Bridge, sqlite_state_url: str, tmp_path: Path
) -> None:
    mapping = insert_mapping(tmp_path)
    total = bridge.sf_count("Account")
    assert total > 2 * CHUNK
    # the first create is applied at once, its answer sent one byte a second: the process dies first
    bridge.odoo.add_fault("drip", operation=r"^res\.partner\.create$", interval=1.0)
    proc = start_run(mapping, sqlite_state_url)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(bridge.synced_partners()) < CHUNK:
            assert proc.poll() is None, "the run ended before its first create was answered"
            time.sleep(0.05)
        assert len(bridge.synced_partners()) == CHUNK, "the first create chunk did not land"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    bridge.odoo.clear_faults()
    landed = {p["ref"] for p in bridge.synced_partners()}

    rerun = subprocess.run(
        [sys.executable, "-m", "officebridge.cli", "--state-url", sqlite_state_url, "run", str(mapping)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    refs = Counter(p["ref"] for p in bridge.synced_partners())
    assert set(refs.values()) == {1}, "a create that landed unrecorded was sent again"
    assert len(refs) == total, "records were lost"

    with StateStore.open(sqlite_state_url) as store:
        letters = store.dead_letters(SYNC, limit=1000)
        assert {d.source_id for d in letters} == landed  # exactly the chunk in flight, no other
        assert {(d.stage, d.error_code, d.attempts) for d in letters} == {("write", IN_FLIGHT, 1)}
        message = letters[0].message
        assert "may have been created in res.partner" in message and "check the target" in message
        assert "replay this letter if the record is missing" in message
        assert not store.target_ids(SYNC, sorted(landed))  # nothing linked what nobody recorded
        last = store.last_run(SYNC)
        assert last is not None and last.status == "succeeded"
        assert (last.counts["created"], last.counts["skipped"]) == (total - CHUNK, CHUNK)
        statuses = [r.status for r in store.runs(SYNC, limit=5)]
        assert statuses[-1] == "failed"  # the killed run, closed as interrupted

        # a person checks Odoo: the records are there after all, but say they deleted them instead
        ids = [p["id"] for p in bridge.partners([["ref", "in", sorted(landed)]], ["id"])]
        bridge.odoo_client.execute_kw("res.partner", "unlink", [ids])
        [done] = replay(store, letters, tmp_path)
        assert (done.replayed, done.still_failing) == (CHUNK, 0)
        assert store.dead_letters(SYNC) == []
        assert len(store.target_ids(SYNC, sorted(landed))) == CHUNK
    refs = Counter(p["ref"] for p in bridge.synced_partners())
    assert len(refs) == total and set(refs.values()) == {1}


def test_a_create_chunk_that_lands_leaves_no_letter_behind(bridge: Bridge, tmp_path: Path) -> None:
    mapping = insert_mapping(tmp_path)
    result = bridge.run(mapping)
    assert result.status == "succeeded" and result.counts.created == bridge.sf_count("Account")
    assert bridge.store.dead_letters(SYNC, status=None, limit=10) == []  # markers deleted, not 'replayed'
    runs = bridge.store.runs(SYNC, limit=1)
    assert runs[0].counts["failed"] == 0


def test_a_create_chunk_refused_before_it_was_applied_is_sent_again_by_the_rerun(
    bridge: Bridge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OFFICEBRIDGE_RETRY_ATTEMPTS", "2")
    monkeypatch.setenv("OFFICEBRIDGE_RETRY_BASE", "0.01")
    mapping = insert_mapping(tmp_path)
    bridge.odoo.add_fault("slow", operation=r"^res\.partner\.create$", seconds=0)  # the first goes through
    bridge.odoo.add_fault("rate_limit", operation=r"^res\.partner\.create$", times=2, retry_after=0)
    with pytest.raises(RetriableError):  # the connector spent its tries on the second chunk
        bridge.run(mapping)
    letters = bridge.store.dead_letters(SYNC, limit=1000)
    assert len(letters) == CHUNK and {d.error_code for d in letters} == {"WRITE_FAILED"}
    assert "not applied" in letters[0].message
    assert len(bridge.synced_partners()) == CHUNK
    again = bridge.run(mapping)
    assert again.status == "succeeded"
    refs = Counter(p["ref"] for p in bridge.synced_partners())
    assert len(refs) == bridge.sf_count("Account") and set(refs.values()) == {1}
    assert bridge.store.dead_letters(SYNC) == []
