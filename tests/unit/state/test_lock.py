"""The per-sync lock: contention, races, expiry, and takeover from a run killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

from officebridge.errors import SyncLockedError
from officebridge.state import StateStore
from officebridge.state.lock import acquire, owner_is_dead

SYNC = "sf_accounts_to_odoo"

HOLDER = """
import sys, time
from officebridge.state import StateStore
store = StateStore.open(sys.argv[1])
with store.lock(sys.argv[2], ttl=300) as lock:
    print(lock.owner, flush=True)
    time.sleep(120)
"""


def test_a_held_lock_refuses_a_second_run_and_is_free_after_release(state_store: StateStore) -> None:
    with state_store.lock(SYNC) as held:
        assert held.owner.split(":")[1] == str(os.getpid())
        with pytest.raises(SyncLockedError, match=f"'{SYNC}' is locked by {held.owner}"):
            with state_store.lock(SYNC):
                pass
        with state_store.lock("another_sync"):  # other syncs are independent
            pass
    with state_store.lock(SYNC) as again:
        assert again.owner != held.owner


def test_contention_between_threads_has_exactly_one_winner(state_store: StateStore) -> None:
    start = threading.Barrier(6)
    won: list[str] = []
    refused: list[str] = []
    release = threading.Event()

    def contend() -> None:
        start.wait()
        try:
            with state_store.lock(SYNC) as lock:
                won.append(lock.owner)
                release.wait(10)
        except SyncLockedError as exc:
            refused.append(str(exc))

    threads = [threading.Thread(target=contend) for _ in range(6)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while len(won) + len(refused) < 6 and time.monotonic() < deadline:
        time.sleep(0.01)
    release.set()
    for t in threads:
        t.join(20)
    assert len(won) == 1 and len(refused) == 5
    assert all(won[0] in message for message in refused)


def test_heartbeat_extends_and_an_expired_lock_is_taken_over(state_store: StateStore) -> None:
    stale = acquire(state_store.engine, SYNC, ttl=0.3)
    before = stale.expires_at
    stale.heartbeat()
    assert stale.expires_at > before
    with pytest.raises(SyncLockedError):
        acquire(state_store.engine, SYNC, ttl=60)
    time.sleep(0.4)  # the holder (alive, same process) stopped heartbeating: expired
    with state_store.lock(SYNC, ttl=60) as fresh:
        assert fresh.owner != stale.owner
        with pytest.raises(SyncLockedError, match="was lost"):
            stale.heartbeat()
        stale.release()  # releasing a lost lock must not release the new holder's
        with pytest.raises(SyncLockedError, match=fresh.owner):
            acquire(state_store.engine, SYNC, ttl=60)


def test_a_lock_held_by_another_process_blocks_until_it_is_killed(state_store: StateStore) -> None:
    url = state_store.url.render_as_string(hide_password=False)
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url, SYNC], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        owner = proc.stdout.readline().strip()  # type: ignore[union-attr]
        assert owner.split(":")[1] == str(proc.pid), proc.stderr.read() if not owner else owner  # type: ignore[union-attr]
        with pytest.raises(SyncLockedError, match=owner):
            with state_store.lock(SYNC):
                pass
        os.kill(proc.pid, signal.SIGKILL)  # no finally, no release: the row stays behind
        proc.wait(10)
        with state_store.lock(SYNC, ttl=300) as taken:
            assert taken.owner != owner
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_owner_liveness() -> None:
    me = f"{socket.gethostname()}:{os.getpid()}:abc"
    assert not owner_is_dead(me)  # this process (another thread's lock)
    assert not owner_is_dead("some-other-host:1:abc")  # cannot judge another host: wait for expiry
    assert not owner_is_dead("not an owner")

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(10)
    assert owner_is_dead(f"{socket.gethostname()}:{child.pid}:abc")

    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while not owner_is_dead(f"{socket.gethostname()}:{zombie.pid}:abc") and time.monotonic() < deadline:
        time.sleep(0.02)  # exited but not yet reaped: a zombie still answers kill(pid, 0)
    assert owner_is_dead(f"{socket.gethostname()}:{zombie.pid}:abc")
    zombie.wait(10)
