"""`make demo-tryton` exactly as the README writes it: a real trytond and the sandboxes on ports chosen
through OFFICEBRIDGE_PORTS, in a temporary OFFICEBRIDGE_HOME; the second run of each Tryton sync
writes nothing, and nothing it started is left running.

The Tryton template cache is the suite's own (OFFICEBRIDGE_TRYTON_CACHE), so the test does not
rebuild the database each time; the demo with an empty cache builds it (about a minute more).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
from pathlib import Path

import pytest

from connectors.tryton.server import cache_dir
from officebridge.sandboxes import registered

REPO = Path(__file__).resolve().parents[2]
SYNCS = (
    "salesforce_account_to_tryton",
    "salesforce_account_to_tryton_address",
    "salesforce_opportunity_to_tryton_sale",
    "tryton_invoice_to_salesforce",
)
COUNTS = re.compile(r"^(\w+): succeeded .*\nread=(\d+)\s+created=(\d+)\s+updated=(\d+).*failed=(\d+)", re.M)
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_make_demo_tryton_runs_the_tryton_syncs_twice_on_the_ports_it_is_given(tmp_path: Path) -> None:
    ports = {name: free_port() for name in [*registered(), "tryton"]}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW__", "AIRFLOW_CONN_"))}
    env.pop("OFFICEBRIDGE_STATE_URL", None)
    env.update(
        OFFICEBRIDGE_HOME=str(tmp_path),
        OFFICEBRIDGE_PORTS=" ".join(f"{name}={port}" for name, port in ports.items()),
        OFFICEBRIDGE_TRYTON_CACHE=str(cache_dir()),
    )
    done = subprocess.run(["make", "demo-tryton"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=840, check=False)  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    assert f"trytond answers at http://127.0.0.1:{ports['tryton']}/officebridge/rpc/" in output
    assert f"127.0.0.1:{ports['salesforce']}" in (tmp_path / "demo-tryton" / "sandbox.env").read_text()
    assert output.count("ok   ") == len(SYNCS)  # validate checked every shipped Tryton mapping

    runs = [(m[1], *map(int, m.groups()[1:])) for m in COUNTS.finditer(output)]
    assert [r[0] for r in runs] == [*SYNCS, *SYNCS], runs
    first, second = runs[: len(SYNCS)], runs[len(SYNCS) :]
    assert first[0][2] == first[1][2] == 300  # the seed's Accounts: one party and one address each
    assert first[2][2] > 0 and first[3][3] == 1  # won deals became sales; one invoice went back
    assert all(failed == 0 for *_, failed in runs), runs
    assert all((created, updated) == (0, 0) for _, _, created, updated, _ in second), second
    assert "Next Step = 'Invoice " in output and "due'" in output
    assert not any(listening(port) for port in ports.values()), "the demo left a server running"
