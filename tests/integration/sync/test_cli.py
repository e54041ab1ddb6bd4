"""The `officebridge` command as an analyst or ops engineer runs it: a real process, real sandboxes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from officebridge.state import StateStore
from tests.integration.sync.conftest import ACCOUNTS, Bridge


def officebridge(
    *args: str, state_url: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "OFFICEBRIDGE_RETRY_ATTEMPTS": "2",
        "OFFICEBRIDGE_RETRY_BASE": "0.05",
        "COLUMNS": "200",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "officebridge.cli", "--state-url", state_url, *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
        check=False,
    )


def mapping_with(tmp_path: Path, old: str, new: str, name: str = "accounts.yaml") -> Path:
    text = ACCOUNTS.read_text()
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new))
    return path


def untouched(state_url: str) -> bool:
    with StateStore.open(state_url) as store:
        return store.runs() == [] and store.syncs() == []


BAD_MAPPINGS = {
    "bad YAML": ("  ref: Id\n", "  ref: [Id\n", ["accounts.yaml:"]),
    "unknown source field": ("name: {copy: Name,", "name: {copy: Nmae,", ["'Nmae'", "did you mean 'Name'"]),
    "unknown target field": ("  website: {copy", "  webiste: {copy", ["'webiste'", "did you mean 'website'"]),
    "bad expression": ('expr: "1 if', 'expr: "1 +* if', ["accounts.yaml:", "expression"]),
    "escape attempt": (
        'customer_rank: {expr: "1 if Type in',
        'customer_rank: {expr: "().__class__ if Type in',
        ["accounts.yaml:"],
    ),
    "import attempt": (
        'customer_rank: {expr: "1 if Type in',
        "customer_rank: {expr: \"__import__('os') if Type in",
        ["accounts.yaml:"],
    ),
}


@pytest.mark.parametrize("case", BAD_MAPPINGS, ids=list(BAD_MAPPINGS))
def test_bad_mapping_is_refused_with_file_and_line_and_state_is_untouched(
    bridge: Bridge, sqlite_state_url: str, tmp_path: Path, case: str
) -> None:
    old, new, expected = BAD_MAPPINGS[case]
    path = mapping_with(tmp_path, old, new)
    for command in (["validate", str(path)], ["run", str(path)]):
        done = officebridge(*command, state_url=sqlite_state_url)
        assert done.returncode == 1, done.stdout + done.stderr
        for text in expected:
            assert text in done.stderr, done.stderr
        assert str(path) in done.stderr
    assert untouched(sqlite_state_url)
    assert bridge.synced_partners() == []


def test_unknown_connector(bridge: Bridge, sqlite_state_url: str, tmp_path: Path) -> None:
    path = mapping_with(tmp_path, "  system: odoo\n", "  system: odooo\n")
    done = officebridge("run", str(path), state_url=sqlite_state_url)
    assert done.returncode == 1
    assert "odooo" in done.stderr and "odoo" in done.stderr
    assert untouched(sqlite_state_url)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_system(bridge: Bridge, sqlite_state_url: str) -> None:
    conn = json.loads(bridge.odoo.connection_value())
    conn["port"] = _closed_port()
    done = officebridge(
        "run", str(ACCOUNTS), state_url=sqlite_state_url, env={"AIRFLOW_CONN_ODOO_DEFAULT": json.dumps(conn)}
    )
    assert done.returncode == 1
    assert "unreachable" in done.stderr.lower(), done.stderr
    assert untouched(sqlite_state_url)


@pytest.mark.parametrize("system", ["salesforce", "odoo"])
def test_bad_credentials(bridge: Bridge, sqlite_state_url: str, system: str) -> None:
    box = bridge.sf if system == "salesforce" else bridge.odoo
    conn = json.loads(box.connection_value())
    conn["password"] = "wrong-password-123"
    done = officebridge(
        "-vv",
        "run",
        str(ACCOUNTS),
        state_url=sqlite_state_url,
        env={f"AIRFLOW_CONN_{system.upper()}_DEFAULT": json.dumps(conn)},
    )
    assert done.returncode == 1
    assert "AuthenticationError" in done.stderr, done.stderr
    assert "wrong-password-123" not in done.stdout + done.stderr
    assert untouched(sqlite_state_url)


def test_secrets_never_reach_logs_or_dead_letters(bridge: Bridge, sqlite_state_url: str) -> None:
    name = bridge.sf_records("SELECT Name FROM Account ORDER BY Id LIMIT 1")[0]["Name"].strip()
    # a remote error that echoes a credential back must not carry it into the state store
    bridge.odoo.add_fault(
        "record_error", field="name", value=name, message="rejected for user admin with password sandbox-pass"
    )
    done = officebridge("-vv", "run", str(ACCOUNTS), state_url=sqlite_state_url)
    assert done.returncode == 3, done.stderr  # finished, with dead letters
    output = done.stdout + done.stderr
    assert "DEBUG" in output  # the log really was verbose
    for secret in ("sandbox-pass", "sandbox-token"):
        assert secret not in output
    with StateStore.open(sqlite_state_url) as store:
        letters = store.dead_letters()
        assert letters and all("sandbox-pass" not in json.dumps([d.message, d.payload]) for d in letters)
        assert "***" in letters[0].message
    shown = officebridge("dead-letters", "show", str(letters[0].id), state_url=sqlite_state_url)
    assert shown.returncode == 0 and "sandbox-pass" not in shown.stdout


def test_status_and_dead_letter_commands(bridge: Bridge, sqlite_state_url: str) -> None:
    name = bridge.sf_records("SELECT Name FROM Account ORDER BY Id LIMIT 1")[0]["Name"].strip()
    bridge.odoo.add_fault("record_error", field="name", value=name, message="refused by a rule")
    assert officebridge("run", str(ACCOUNTS), state_url=sqlite_state_url).returncode == 3
    status = officebridge("status", state_url=sqlite_state_url)
    assert "salesforce_account_to_odoo" in status.stdout and "partial" in status.stdout
    listed = officebridge("dead-letters", "list", state_url=sqlite_state_url)
    assert "refused by a rule" in listed.stdout
    ignored = officebridge(
        "dead-letters", "ignore", "--sync", "salesforce_account_to_odoo", state_url=sqlite_state_url
    )
    assert ignored.returncode == 0 and "ignored" in ignored.stdout
    again = officebridge("dead-letters", "replay", "1", state_url=sqlite_state_url)
    assert again.returncode == 1 and "not open" in again.stderr


def _committed_reads(state_url: str) -> int:
    with StateStore.open(state_url) as store:
        runs = store.runs("salesforce_account_to_odoo", limit=1)
        return runs[0].counts["read"] if runs and runs[0].status == "running" else 0


@pytest.mark.slow
def test_kill_9_at_any_moment_then_rerun_loses_nothing_and_duplicates_nothing(
    bridge: Bridge, sqlite_state_url: str
) -> None:
    bridge.sf.seed_accounts_only(3000, seed=11)
    total = bridge.sf_count("Account")
    env = {**os.environ, "OFFICEBRIDGE_RETRY_ATTEMPTS": "3"}
    cmd = [
        sys.executable,
        "-m",
        "officebridge.cli",
        "--state-url",
        sqlite_state_url,
        "run",
        str(ACCOUNTS),
        "--read-batch",
        "200",
    ]
    kills = 0
    for pause in (0.0, 0.05, 0.15):  # after a batch committed, then a little later: mid-write, mid-commit
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        before = len(bridge.synced_partners())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if _committed_reads(sqlite_state_url) > 0 and len(bridge.synced_partners()) > before:
                break
            time.sleep(0.02)
        time.sleep(pause)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 2, "the runs finished before they could be killed; make the data bigger"
    assert 0 < len(bridge.synced_partners()) < total, "the kills did not land mid-run"
    final = officebridge("run", str(ACCOUNTS), state_url=sqlite_state_url)
    assert final.returncode == 0, final.stderr
    refs = Counter(p["ref"] for p in bridge.synced_partners())
    assert len(refs) == total, "records were lost"
    assert set(refs.values()) == {1}, "records were written twice"
    with StateStore.open(sqlite_state_url) as store:
        statuses = [r.status for r in store.runs("salesforce_account_to_odoo", limit=10)]
        assert statuses[0] == "succeeded"
        assert "running" not in statuses  # the killed runs are marked interrupted
