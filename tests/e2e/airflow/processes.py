"""Long-lived processes an e2e test starts (a scheduler, an API server, Celery workers, `make airflow`).

Each starts in a process group of its own (`start_new_session=True`), and is
stopped as a group: SIGTERM to every member, a wait until none is left, then
SIGKILL for what still runs. Stopping the group leader alone is not enough:
Airflow's scheduler forks its DAG processor and executor workers, and `make`
a shell and then Airflow; a killed leader leaves them running, and a leaked
scheduler keeps taking tasks from a later test's metadata DB or queue. A
leader that already exited is no reason to skip its group either.

Teardown runs in a `finally`, so a failing test stops its processes too. A
terminated run (CI cancels the job: SIGTERM, or SIGHUP) runs no `finally`:
a handler for those signals stops every group still running, then lets the
signal do what it would have done. An interpreter that exits while some are
running (an error outside the tests) stops them at exit.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any

GRACE_SECONDS = 30.0
_live: dict[int, subprocess.Popen[bytes]] = {}
_previous: dict[int, Any] = {}
_lock = threading.Lock()


def start(command: Sequence[str], **options: Any) -> subprocess.Popen[bytes]:
    """`subprocess.Popen(command, **options)` in a new process group, stopped by `stop` (or at exit)."""
    _install_handlers()
    process: subprocess.Popen[bytes] = subprocess.Popen(list(command), start_new_session=True, **options)
    with _lock:
        _live[process.pid] = process
    return process


def stop(*processes: subprocess.Popen[bytes], grace: float = GRACE_SECONDS) -> None:
    """End each process's whole group: SIGTERM, wait up to `grace` seconds for every member, SIGKILL."""
    for process in processes:
        _signal_group(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while any(members(p) for p in processes) and time.monotonic() < deadline:
        time.sleep(0.1)
    for process in processes:
        if members(process):
            _signal_group(process.pid, signal.SIGKILL)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass  # SIGKILL cannot be refused: only a process stuck in the kernel gets here
        with _lock:
            _live.pop(process.pid, None)


def members(process: subprocess.Popen[bytes]) -> list[int]:
    """The processes still running in `process`'s group (zombies are not running)."""
    process.poll()  # reap the leader if it exited: a zombie leader is no member
    pgid = process.pid
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: ask the kernel whether the group has anyone at all
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return []
        except PermissionError:
            pass
        return [pgid]
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (command) ": state ppid pgrp ...
        if int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        pass  # the whole group is gone already


def stop_all(grace: float = GRACE_SECONDS) -> None:
    with _lock:
        running = list(_live.values())
    if running:
        stop(*running, grace=grace)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    stop_all(grace=5.0)  # a cancelled CI job is killed for good soon after its SIGTERM
    previous = _previous.get(signum, signal.SIG_DFL)
    if callable(previous):
        previous(signum, frame)
    elif previous != signal.SIG_IGN:
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)


def _install_handlers() -> None:
    if _previous or threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread
    for signum in (signal.SIGTERM, signal.SIGHUP):
        _previous[signum] = signal.signal(signum, _on_signal)
    atexit.register(stop_all, 10.0)
