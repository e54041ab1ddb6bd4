"""A distributed initial load: Airflow's CeleryExecutor, the machine's Redis, two Celery workers.

`sync__salesforce_account_to_odoo` runs with `partitions: 3` through a real scheduler and API server
on a throw-away PostgreSQL metadata DB; the partitions are queued on Redis (a queue of this test's own,
so no other worker on the machine takes them) and run by two `airflow celery worker` processes. The
result must be what one process gives: every Account in Odoo exactly once, the watermark set once
(by one `commit_watermark` try, at the newest Account stamp). The loads also run in the Airflow pool
of the Salesforce connection (`OFFICEBRIDGE_POOLS`), so the pool is proven to schedule.
"""

from __future__ import annotations

import re
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from officebridge.testing.harness import free_port
from tests.e2e.airflow import processes
from tests.e2e.airflow.conftest import DAGS, MAPPINGS, REPO, airflow_env
from tests.fixtures.state import PG_ADMIN_URL, _libpq
from tests.integration.sync.conftest import Bridge

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]  # five Airflow processes: 304 s when loaded
DAG_ID = "sync__salesforce_account_to_odoo"
SYNC = "salesforce_account_to_odoo"
POOL = "officebridge_salesforce_default"
REDIS = ("127.0.0.1", 6379)
RECEIVED = re.compile(r"Task execute_workload\[[0-9a-f-]+\] received")  # a worker's log line per task


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture
def metadata_db() -> Iterator[str]:
    """A PostgreSQL database for Airflow's metadata, created for this test and dropped after it."""
    name = f"ob_airflow_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_libpq(PG_ADMIN_URL), autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(_libpq(PG_ADMIN_URL), autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Cluster:
    """The Airflow processes this test starts (and only those), each in its own process group."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home, self.env = home, env
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def airflow(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run([sys.executable, "-m", "airflow", *args], env=self.env, cwd=REPO,
                              capture_output=True, text=True, timeout=timeout, check=False)  # fmt: skip
        assert done.returncode == 0, (
            f"airflow {' '.join(args)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
        return done.stdout

    def start(self, name: str, *args: str) -> None:
        log = (self.home / f"{name}.log").open("wb")
        self.procs[name] = processes.start(
            [sys.executable, "-m", "airflow", *args], env=self.env, cwd=REPO,
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def log(self, name: str) -> str:
        return (self.home / f"{name}.log").read_text(errors="replace")

    def alive(self) -> None:
        for name, proc in self.procs.items():
            assert proc.poll() is None, f"{name} exited {proc.returncode}:\n{self.log(name)[-4000:]}"

    def wait_for_workers(self, names: tuple[str, ...], seconds: float = 180) -> None:
        deadline = time.monotonic() + seconds
        while not all("ready." in self.log(w) for w in names):
            self.alive()
            assert time.monotonic() < deadline, (
                "the Celery workers did not come up:\n" + self.log(names[0])[-3000:]
            )
            time.sleep(1)

    def wait_for_run(self, db: str, dag_id: str, seconds: float = 420) -> str | None:
        deadline, state = time.monotonic() + seconds, None
        while state not in ("success", "failed"):
            self.alive()
            assert time.monotonic() < deadline, f"no end (state {state}):\n" + self.log("scheduler")[-4000:]
            time.sleep(2)
            found = _rows(db, "SELECT state FROM dag_run WHERE dag_id = %s", dag_id)
            state = found[0][0] if found else None
        return state

    def stop(self) -> None:
        """Every process group, also of a process that exited already (its forks may not have)."""
        processes.stop(*self.procs.values())


def _rows(db: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(_libpq(db), autocommit=True) as conn:
        return list(conn.execute(sql, params).fetchall())


def test_partitioned_initial_load_on_celery_with_two_workers(
    bridge: Bridge, metadata_db: str, tmp_path: Path
) -> None:
    if not _reachable(*REDIS):
        pytest.fail(f"the CeleryExecutor test needs the machine's Redis at {REDIS[0]}:{REDIS[1]}")
    home = tmp_path / "airflow"
    home.mkdir()
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / f"{DAG_ID}.py").write_text((DAGS / f"{DAG_ID}.py").read_text())  # this DAG alone
    api = free_port()
    queue = f"ob_celery_{uuid.uuid4().hex[:8]}"  # ours alone: no other worker on the machine takes these
    env = airflow_env(
        home, dags,
        OFFICEBRIDGE_MAPPINGS=str(MAPPINGS),
        OFFICEBRIDGE_STATE_URL=bridge.store.url.render_as_string(hide_password=False),
        OFFICEBRIDGE_POOLS="salesforce_default",
        AIRFLOW__CORE__EXECUTOR="CeleryExecutor",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=metadata_db,
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC=metadata_db,  # psycopg 3 is async too (no asyncpg)
        AIRFLOW__CELERY__BROKER_URL=f"redis://{REDIS[0]}:{REDIS[1]}/0",
        AIRFLOW__CELERY__RESULT_BACKEND=f"redis://{REDIS[0]}:{REDIS[1]}/1",  # see the note below
        AIRFLOW__OPERATORS__DEFAULT_QUEUE=queue,
        AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{api}/execution/",
        AIRFLOW__API__HOST="127.0.0.1",
        AIRFLOW__API__PORT=str(api),
        AIRFLOW__API__WORKERS="1",
        AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_urlsafe(32),
        AIRFLOW__API__SECRET_KEY=secrets.token_urlsafe(32),
        AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
        AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC="1",
        AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="False",  # only our triggered run, no scheduled one on unpause
        AIRFLOW__SCHEDULER__TASK_QUEUED_TIMEOUT="300",
        AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(free_port()),
    )  # fmt: skip
    env.pop("AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION", None)
    cluster = Cluster(home, env)
    try:
        cluster.airflow("db", "migrate", timeout=600)
        cluster.airflow("pools", "set", POOL, "2", "one Salesforce org: its loads share these slots")
        cluster.airflow("dags", "reserialize")
        cluster.start("api-server", "api-server")
        cluster.start("scheduler", "scheduler")
        for worker in ("w1", "w2"):
            cluster.start(worker, "celery", "worker", "-q", queue, "--concurrency", "1",
                          "--skip-serve-logs", "--celery-hostname", f"{worker}-{queue}@%h")  # fmt: skip
        cluster.wait_for_workers(("w1", "w2"))
        cluster.airflow("dags", "unpause", DAG_ID)
        cluster.airflow("dags", "trigger", DAG_ID, "--conf", '{"partitions": 3}')
        state = cluster.wait_for_run(metadata_db, DAG_ID)
        tis = _rows(metadata_db, "SELECT task_id, map_index, state, try_number, pool, queue, hostname "
                    "FROM task_instance WHERE dag_id = %s", DAG_ID)  # fmt: skip
        assert state == "success", tis
    finally:
        cluster.stop()

    # Celery ran the partitions, on both workers, in the Salesforce connection's pool
    loads = [t for t in tis if t[0] == "extract_transform_load"]
    assert sorted(t[1] for t in loads) == [0, 1, 2] and {t[2] for t in loads} == {"success"}
    assert {t[4] for t in loads} == {POOL} and {t[5] for t in tis} == {queue}
    received = {w: len(RECEIVED.findall(cluster.log(w))) for w in ("w1", "w2")}
    print(f"tasks received per Celery worker: {received}")  # shown with -s
    assert all(received.values()) and sum(received.values()) == len(tis), (
        f"each worker runs tasks: {received}"
    )
    commits = [t for t in tis if t[0] == "commit_watermark"]
    assert [(t[2], t[3]) for t in commits] == [("success", 1)]  # the watermark was set once

    # the same result as one process: every Account in Odoo exactly once, the watermark at the newest
    accounts = bridge.sf_records("SELECT Id, Name, SystemModstamp FROM Account")
    partners = bridge.synced_partners("001")
    refs = [p["ref"] for p in partners]
    assert len(refs) == len(set(refs)) == len(accounts) == 300
    assert set(refs) == {a["Id"] for a in accounts}
    runs = [r for r in bridge.store.runs(SYNC, limit=50) if r.trigger == "airflow"]
    assert len(runs) == 3 and sum(r.counts["created"] for r in runs) == 300
    assert len({r.detail["airflow_run_id"] for r in runs}) == 1
    newest = max(a["SystemModstamp"] for a in accounts)
    mark = bridge.store.watermark(SYNC)
    assert mark is not None and mark.strftime("%Y-%m-%dT%H:%M:%S") == newest[:19]
