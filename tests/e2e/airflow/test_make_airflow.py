"""`make airflow` exactly as the README writes it: Airflow standalone runs a sync DAG to success.

The command is run as is (`make airflow`); the test only points state, Airflow's
metadata DB and logs at a temporary folder and picks free ports through
OFFICEBRIDGE_PORTS, the one documented way to move them. A task needs the
scheduler and the API server to share one JWT secret: without it every task
stays "up for retry" with "Invalid auth token", which is what this catches.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from officebridge.sandboxes import registered
from tests.e2e.airflow import processes

REPO = Path(__file__).resolve().parents[3]
DAG = "sync__salesforce_account_to_odoo"
START_TIMEOUT = 180.0
RUN_TIMEOUT = 300.0

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Standalone:
    url: str
    passwords: Path
    log: Path
    process: subprocess.Popen[bytes]
    home: Path
    env: dict[str, str]

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]


@pytest.fixture
def standalone(tmp_path: Path) -> Iterator[Standalone]:
    home = tmp_path / "home"
    port = free_port()
    logs = f"airflow-logs={free_port()} airflow-trigger-logs={free_port()}"
    ports = " ".join([f"airflow={port}", logs, *(f"{name}={free_port()}" for name in registered())])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "AIRFLOW_CONN_"))}
    env.update(
        OFFICEBRIDGE_HOME=str(home),
        OFFICEBRIDGE_PORTS=ports,
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{tmp_path / 'airflow.db'}",
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE=str(tmp_path / "passwords.json"),
        AIRFLOW__LOGGING__BASE_LOG_FOLDER=str(tmp_path / "logs"),
    )
    env.pop("OFFICEBRIDGE_STATE_URL", None)
    log = tmp_path / "make-airflow.log"
    with log.open("wb") as out:
        process = processes.start(
            ["make", "airflow"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    box = Standalone(f"http://127.0.0.1:{port}", tmp_path / "passwords.json", log, process, home, env)
    try:
        yield box
    finally:
        processes.stop(process)  # make, its shell, Airflow standalone and what that forked
        subprocess.run([str(REPO / ".venv/bin/officebridge"), "sandbox", "down"], env=env, check=False,
                       capture_output=True, timeout=60)  # fmt: skip


def wait_for(what: str, box: Standalone, probe: object, timeout: float) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if box.process.poll() is not None:
            code = box.process.returncode
            pytest.fail(f"make airflow exited ({code}) while waiting for {what}:\n{box.tail()}")
        try:
            value = probe()  # type: ignore[operator]
        except requests.RequestException:
            value = None
        if value:
            return value
        time.sleep(1)
    pytest.fail(f"{what} not reached within {timeout:.0f} s:\n{box.tail()}")


def test_make_airflow_runs_a_sync_dag_to_success(standalone: Standalone) -> None:
    box = standalone
    api = signed_in(box)
    wait_for(f"{DAG} parsed", box, lambda: api.get(f"{box.url}/api/v2/dags/{DAG}", timeout=5).ok,
             START_TIMEOUT)  # fmt: skip
    api.patch(f"{box.url}/api/v2/dags/{DAG}", json={"is_paused": False}, timeout=10).raise_for_status()
    started = api.post(f"{box.url}/api/v2/dags/{DAG}/dagRuns", json={"logical_date": None}, timeout=10)
    started.raise_for_status()
    run_id = started.json()["dag_run_id"]

    def finished() -> str | None:
        state = str(api.get(f"{box.url}/api/v2/dags/{DAG}/dagRuns/{run_id}", timeout=5).json()["state"])
        return state if state in ("success", "failed") else None

    state = wait_for(f"run {run_id} to finish", box, finished, RUN_TIMEOUT)
    tasks = api.get(f"{box.url}/api/v2/dags/{DAG}/dagRuns/{run_id}/taskInstances", timeout=10).json()
    states = {t["task_id"]: t["state"] for t in tasks["task_instances"]}
    assert state == "success", f"{states}\n{box.tail()}"
    assert set(states.values()) == {"success"}, states
    task_log = api.get(f"{box.url}/api/v2/dags/{DAG}/dagRuns/{run_id}/taskInstances/check_connections/logs/1",
                       headers={"Accept": "application/json"}, timeout=10).text  # fmt: skip
    for conn_id in ("salesforce_default", "odoo_default"):
        assert f"connection '{conn_id}'" in task_log, task_log[-3000:]
    assert task_log.count("comes from Airflow metadata DB") == 2, task_log[-3000:]
    secrets = box.home / "airflow-secrets.env"
    assert secrets.stat().st_mode & 0o077 == 0, "the generated secrets file must be private"
    assert "JWT_SECRET" not in box.tail() and secrets.read_text().split("=", 1)[1][:12] not in box.tail()
    connections_are_in_the_connections_page(api, box)


def connections_are_in_the_connections_page(api: requests.Session, box: Standalone) -> None:
    """Visible in GET /api/v2/connections (what the Connections page lists), not hidden in AIRFLOW_CONN_*;
    an edit made there survives the next `make airflow`."""
    assert {"salesforce_default", "odoo_default"} <= _conn_ids(api, box)
    odoo = api.get(f"{box.url}/api/v2/connections/odoo_default", timeout=10).json()
    assert odoo["conn_type"] == "odoo" and odoo["host"] == "127.0.0.1"
    edit = {**odoo, "description": "edited by ops", "password": "ops-changed-it"}
    api.patch(f"{box.url}/api/v2/connections/odoo_default", json=edit, timeout=10).raise_for_status()
    again = subprocess.run([str(REPO / ".venv/bin/python"), "-m", "officebridge.airflow.sandbox_connections"],
                           env={**box.env, "AIRFLOW_HOME": str(REPO)}, capture_output=True, text=True,
                           timeout=120, check=True)  # fmt: skip
    assert "odoo_default: kept as changed in Airflow" in again.stdout, again.stdout + again.stderr
    assert "salesforce_default: already in Airflow's metadata DB" in again.stdout
    kept = api.get(f"{box.url}/api/v2/connections/odoo_default", timeout=10).json()
    assert kept["description"] == "edited by ops"
    assert "ops-changed-it" not in again.stdout + again.stderr + box.tail()


def _conn_ids(api: requests.Session, box: Standalone) -> set[str]:
    found = api.get(f"{box.url}/api/v2/connections", timeout=10).json().get("connections", [])
    return {c["connection_id"] for c in found}


def signed_in(box: Standalone) -> requests.Session:
    wait_for("the API server", box, lambda: requests.get(f"{box.url}/api/v2/monitor/health", timeout=3).ok,
             START_TIMEOUT)  # fmt: skip
    wait_for("the generated passwords", box, box.passwords.exists, 60)
    login = {"username": "admin", "password": json.loads(box.passwords.read_text())["admin"]}
    token = requests.post(f"{box.url}/auth/token", json=login, timeout=10)
    token.raise_for_status()
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    return api
