"""`make demo` exactly as the README writes it, on ports chosen through OFFICEBRIDGE_PORTS (the one
documented way), in a temporary OFFICEBRIDGE_HOME; and a taken port refused before anything starts."""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import pytest

from officebridge import sandboxes
from officebridge.connections import parse_connection
from officebridge.sandboxes import registered

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_env(home: Path, ports: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "AIRFLOW_CONN_"))}
    env.pop("OFFICEBRIDGE_STATE_URL", None)
    return {**env, "OFFICEBRIDGE_HOME": str(home), "OFFICEBRIDGE_PORTS": ports}


def test_make_demo_runs_on_the_ports_it_is_given(tmp_path: Path) -> None:
    ports = {name: free_port() for name in registered()}
    spec = " ".join(f"{name}={port}" for name, port in ports.items())
    done = subprocess.run(["make", "demo"], cwd=REPO, env=demo_env(tmp_path, spec), capture_output=True,
                          text=True, timeout=840, check=False)  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    connections = sandboxes.load_env(tmp_path / "demo")  # what `sandbox up` wrote for the demo
    for name, port in ports.items():
        conn = parse_connection(name, connections[sandboxes.env_var(name)])
        where = f"{conn.host}:{conn.port} {json.dumps(conn.extra)}"
        assert conn.port == port or f"127.0.0.1:{port}" in where, f"{name} is not on {port}: {where}"
        assert conn.host in ("127.0.0.1", None) or "127.0.0.1" in str(conn.host), where
    assert ":8443" not in output and ":8069" not in output  # the defaults were not used
    assert "Third run, as Airflow runs it" in output and "== Open dead letters" in output


def test_make_demo_refuses_a_taken_port_naming_it_and_the_fix(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        spec = f"odoo={port} salesforce={free_port()}"
        done = subprocess.run(["make", "demo"], cwd=REPO, env=demo_env(tmp_path, spec), capture_output=True,
                              text=True, timeout=600, check=False)  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert f"127.0.0.1:{port}, wanted by odoo, is taken" in output, output[-3000:]
    assert 'OFFICEBRIDGE_PORTS="odoo=' in output
    assert "Traceback" not in output
