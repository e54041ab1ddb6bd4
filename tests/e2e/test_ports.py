"""OFFICEBRIDGE_PORTS, parsed in one place: `sandbox up` takes its ports from it (a --port flag still
wins), `make airflow`'s exports come from it, a taken port or a bad value is refused with a clear line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from officebridge.cli import ports

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def taken() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def run(args: list[str], home: Path, spec: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OFFICEBRIDGE_HOME": str(home), "OFFICEBRIDGE_PORTS": spec}
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_sandbox_up_refuses_a_taken_port_from_the_variable(tmp_path: Path, taken: int) -> None:
    done = run([str(BIN / "officebridge"), "sandbox", "up"], tmp_path, f"salesforce={taken}")
    assert done.returncode == 1
    assert f"127.0.0.1:{taken}, wanted by salesforce, is taken" in done.stderr
    assert 'OFFICEBRIDGE_PORTS="salesforce=' in done.stderr
    assert not list((tmp_path / "sandbox").glob("*.pid")), "nothing may start when a port is taken"


def test_a_port_flag_wins_over_the_variable(tmp_path: Path, taken: int) -> None:
    port = free_port()
    cmd = [str(BIN / "officebridge"), "sandbox", "up", "--no-seed", "--port", f"salesforce={taken}"]
    done = run(cmd, tmp_path, f"salesforce={port}")
    assert done.returncode == 1 and f":{taken}, wanted by salesforce" in done.stderr


def test_airflow_exports_come_from_the_variable_and_refuse_a_taken_port(tmp_path: Path, taken: int) -> None:
    api, logs, trigger = free_port(), free_port(), free_port()
    spec = f"airflow={api},airflow-logs={logs} airflow-trigger-logs={trigger}"
    done = run([sys.executable, "-m", "officebridge.cli.ports", "airflow"], tmp_path, spec)
    assert done.returncode == 0, done.stderr
    assert f"export AIRFLOW__API__PORT={api}" in done.stdout
    assert "export AIRFLOW__API__HOST=127.0.0.1" in done.stdout
    assert f"export AIRFLOW__API__BASE_URL=http://127.0.0.1:{api}" in done.stdout
    assert f"export AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT={logs}" in done.stdout
    assert f"export AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT={trigger}" in done.stdout
    done = run([sys.executable, "-m", "officebridge.cli.ports", "airflow"], tmp_path, f"airflow-logs={taken}")
    assert done.returncode == 1
    assert f"port {taken} (every interface), wanted by airflow-logs, is taken" in done.stderr


def test_every_problem_of_the_variable_in_one_message() -> None:
    with pytest.raises(Exception) as caught:
        ports.parse("salesforce=abc nonsense odoo=70000 hubspott=9000")
    message = str(caught.value)
    assert message.startswith("OFFICEBRIDGE_PORTS:")
    for bad in ("'salesforce=abc'", "'nonsense'", "'odoo=70000'", "'hubspott=9000'"):
        assert bad in message
    assert ports.parse("airflow=9080, odoo=9069") == {"airflow": 9080, "odoo": 9069}
