"""The `/_sandbox/` admin routes and the `serve` command line of a kit-built sandbox."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.unit.sandboxkit.tiny import NotesSandbox

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def box(tmp_path: Path) -> Iterator[NotesSandbox]:
    sandbox = NotesSandbox(tmp_path)
    sandbox.start()
    yield sandbox
    sandbox.stop()


def test_admin_routes_steer_the_sandbox(box: NotesSandbox) -> None:
    admin = f"{box.url}/_sandbox"
    token = requests.post(f"{box.url}/login", timeout=5).json()["token"]
    notes = f"{box.url}/notes"
    r = requests.post(f"{admin}/faults", json={"kind": "rate_limit", "times": 1, "retry_after": 2}, timeout=5)
    assert r.json() == {"ok": True}
    assert requests.get(notes, headers={"Authorization": token}, timeout=5).headers["Retry-After"] == "2"
    stats = requests.get(f"{admin}/stats", timeout=5).json()
    assert stats["requests"] == 2 and stats["faults"] == {"rate_limit": 1}  # admin calls are not counted
    assert requests.delete(f"{admin}/stats", timeout=5).status_code == 200
    assert requests.get(f"{admin}/stats", timeout=5).json()["requests"] == 0
    requests.post(f"{admin}/faults", json={"kind": "server_error", "times": None}, timeout=5)
    assert requests.get(notes, headers={"Authorization": token}, timeout=5).status_code == 503
    assert requests.delete(f"{admin}/faults", timeout=5).status_code == 200
    assert requests.get(notes, headers={"Authorization": token}, timeout=5).status_code == 200
    assert requests.post(f"{admin}/sessions/expire", timeout=5).status_code == 200
    assert requests.get(notes, headers={"Authorization": token}, timeout=5).status_code == 401
    assert requests.post(f"{admin}/seed", json={"accounts": 3, "seed": 1}, timeout=5).json() == {"note": 3}
    assert len(box.notes) == 3
    assert requests.post(f"{admin}/reset", timeout=5).json() == {"ok": True} and box.notes == []


def test_admin_errors_are_400_and_404(box: NotesSandbox) -> None:
    admin = f"{box.url}/_sandbox"
    bad = requests.post(f"{admin}/faults", json={"kind": "rate_limit", "wait": 1}, timeout=5)
    assert bad.status_code == 400 and "takes no parameter 'wait'" in bad.json()["error"]
    assert requests.post(f"{admin}/faults", data=b"{not json", timeout=5).status_code == 400
    assert requests.post(f"{admin}/faults", json={}, timeout=5).status_code == 400
    assert requests.get(f"{admin}/nothing", timeout=5).status_code == 404


def test_serve_command_line_seeds_and_serves(tmp_path: Path) -> None:
    module = "tests.unit.sandboxkit.tiny"
    cmd = [sys.executable, "-m", module, "serve", "--home", str(tmp_path), "--port", "0"]
    proc = subprocess.Popen(
        [*cmd, "--seed", "4"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stderr is not None and proc.stdout is not None
        lines = [proc.stderr.readline(), proc.stderr.readline()]
        assert lines[0].startswith("seeded {'note': 4}")
        url = lines[1].rsplit(" ", 1)[1].strip()
        assert '"conn_type": "notes"' in proc.stdout.readline()
        assert requests.post(f"{url}/_sandbox/seed", json={"accounts": 2}, timeout=5).json() == {"note": 2}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
