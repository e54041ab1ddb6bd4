"""The process groups the Airflow e2e tests start end whole: also when the leader is gone already,
also when the test run itself is terminated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.e2e.airflow import processes

REPO = Path(__file__).resolve().parents[3]
FORKS = "sleep 300 & sleep 300 & echo started; wait"  # a leader with two children, like a scheduler


def _running(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.append(pid)
    return alive


def _started(process: subprocess.Popen[bytes]) -> list[int]:
    assert process.stdout is not None and process.stdout.readline().strip() == b"started"
    deadline = time.monotonic() + 10
    while len(found := processes.members(process)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(found) == 3, found
    return found


def test_stopping_ends_every_member_of_the_group() -> None:
    process = processes.start(["sh", "-c", FORKS], stdout=subprocess.PIPE)
    group = _started(process)
    processes.stop(process, grace=5)
    assert _running(group) == [] and processes.members(process) == []


def test_a_group_whose_leader_exited_is_still_ended() -> None:
    """The old teardown skipped a group whose leader had exited: its forks ran on."""
    process = processes.start(["sh", "-c", FORKS], stdout=subprocess.PIPE)
    group = _started(process)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    assert len(_running(group)) == 2  # the children outlive their leader
    processes.stop(process, grace=5)
    assert _running(group) == []


def test_a_terminated_test_run_ends_the_groups_it_started() -> None:
    """CI cancelling a job sends SIGTERM: no `finally` runs, the signal handler stops the groups."""
    child = textwrap.dedent(
        f"""
        import subprocess, sys, time
        from tests.e2e.airflow import processes
        process = processes.start(["sh", "-c", {FORKS!r}], stdout=subprocess.PIPE)
        process.stdout.readline()
        time.sleep(0.5)
        print(" ".join(map(str, processes.members(process))), flush=True)
        time.sleep(300)  # a test waiting for its scheduler
        """
    )
    run = subprocess.Popen([sys.executable, "-c", child], cwd=REPO, stdout=subprocess.PIPE,
                           env={**os.environ, "PYTHONPATH": str(REPO)})  # fmt: skip
    assert run.stdout is not None
    group = [int(pid) for pid in run.stdout.readline().split()]
    assert len(_running(group)) == 3
    run.send_signal(signal.SIGTERM)
    assert run.wait(timeout=30) == -signal.SIGTERM  # and it still dies of the signal
    assert _running(group) == []
