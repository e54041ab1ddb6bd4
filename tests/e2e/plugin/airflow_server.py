"""A real `airflow api-server` for the Syncs view's tests: temp home, migrated SQLite, known users.

Started once per test session on a free loopback port: a temporary
AIRFLOW_HOME, a metadata DB migrated by `airflow db migrate`, this repo's
plugins/ folder, a scheduler (LocalExecutor) and a DAG processor on the DAG
files of the syncs the tests use (replays run as `replay__<sync>` DAG runs on
workers, so the view's buttons need them), the Simple auth manager with two users whose passwords the
tests know (an admin who may replay, a viewer who may only look), and the
officebridge state store, mappings and sandbox connections in its environment,
exactly as a deployment would give them. Nothing in Airflow is patched.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import requests

from tests.e2e.airflow import processes

REPO = Path(__file__).resolve().parents[3]
AIRFLOW = Path(sys.executable).with_name("airflow")
USERS = {"admin": ("admin", "admin-secret-pw"), "viewer": ("viewer", "viewer-secret-pw")}
START_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class AirflowServer:
    """One api-server process; `url` is its base URL, `state_url` the store its plugin reads."""

    home: Path
    state_url: str
    extra_env: Mapping[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    helpers: list[subprocess.Popen[bytes]] = field(default_factory=list)  # scheduler, DAG processor
    syncs: tuple[str, ...] = ("salesforce_account_to_odoo", "salesforce_contact_to_odoo")

    log_ports: tuple[int, int] = field(default_factory=lambda: (free_port(), free_port()))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.home / "api-server.log"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW__")}
        passwords = self.home / "passwords.json"
        env.update(
            {
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(self.home / "dags"),
                "AIRFLOW__CORE__PLUGINS_FOLDER": str(REPO / "plugins"),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.home / 'airflow.db'}",
                "AIRFLOW__CORE__AUTH_MANAGER": (
                    "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
                ),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(
                    f"{name}:{role}" for name, (role, _) in USERS.items()
                ),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
                "AIRFLOW__API_AUTH__JWT_SECRET": "officebridge-tests-jwt-secret-0123456789abcdef",
                "AIRFLOW__API__SECRET_KEY": "officebridge-tests-secret-key",
                "AIRFLOW__API__BASE_URL": self.url,
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(self.log_ports[0]),
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(self.log_ports[1]),
                "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.home / "logs"),
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
                "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",  # the task logs the tests read
                "OFFICEBRIDGE_MAPPINGS": str(REPO / "mappings"),
                "OFFICEBRIDGE_STATE_URL": self.state_url,
                "OFFICEBRIDGE_NO_AIRFLOW_LOOKUP": "1",
                **self.extra_env,
            }
        )
        return env

    def start(self) -> None:
        from officebridge.airflow.stubs import TEMPLATE  # noqa: PLC0415 - the generated DAG file, as is

        (self.home / "dags").mkdir(parents=True, exist_ok=True)
        for sync in self.syncs:
            (self.home / "dags" / f"sync__{sync}.py").write_text(TEMPLATE.format(mapping=f"{sync}.yaml"))
        (self.home / "passwords.json").write_text(json.dumps({n: pw for n, (_, pw) in USERS.items()}))
        env = self.env()
        migrate = subprocess.run(
            [str(AIRFLOW), "db", "migrate"],
            check=False,
            env=env,
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=180,
        )
        if migrate.returncode != 0:
            raise RuntimeError(
                f"airflow db migrate failed:\n{migrate.stdout[-3000:]}\n{migrate.stderr[-3000:]}"
            )
        with self.log.open("wb") as out:
            self.process = processes.start(
                [
                    str(AIRFLOW),
                    "api-server",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--workers",
                    "1",
                ],
                env=env,
                cwd=self.home,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self._wait_healthy()
        for part in ("scheduler", "dag-processor"):
            with (self.home / f"{part}.log").open("wb") as out:
                cmd = [str(AIRFLOW), part]
                kw = {"env": env, "cwd": self.home, "stdout": out, "stderr": subprocess.STDOUT}
                self.helpers.append(processes.start(cmd, **kw))

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"airflow api-server exited early:\n{self.log.read_text()[-4000:]}")
            try:
                if requests.get(f"{self.url}/api/v2/monitor/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:  # not listening yet, or too busy starting to answer in time
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(
            f"airflow api-server not healthy after {START_TIMEOUT} s:\n{self.log.read_text()[-4000:]}"
        )

    def stop(self) -> None:
        """Each process group whole, also one whose leader exited (tests/e2e/airflow/processes.py)."""
        processes.stop(*self.helpers, *([self.process] if self.process is not None else []))
        self.helpers.clear()

    def token(self, user: str = "admin") -> str:
        """A JWT for `user`, from the Simple auth manager's own token endpoint."""
        _, password = USERS[user]
        answer = requests.post(
            f"{self.url}/auth/token", json={"username": user, "password": password}, timeout=10
        )
        answer.raise_for_status()
        return str(answer.json()["access_token"])

    def session(self, user: str | None = "admin") -> requests.Session:
        """An HTTP session carrying `user`'s bearer token (None: anonymous)."""
        s = requests.Session()
        if user is not None:
            s.headers["Authorization"] = f"Bearer {self.token(user)}"
        return s

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 180.0) -> str:
        """The final state of one DAG run (success or failed), polled through Airflow's REST API."""
        api = self.session()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            answer = api.get(f"{self.url}/api/v2/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}", timeout=10)
            if answer.ok and answer.json()["state"] in ("success", "failed"):
                return str(answer.json()["state"])
            time.sleep(1)
        raise AssertionError(f"{dag_id} run {run_id} did not finish in {timeout:.0f} s:\n{self.tails()}")

    def task_log(self, dag_id: str, run_id: str, task_id: str, try_number: int = 1) -> str:
        run = quote(run_id, safe="")
        url = f"{self.url}/api/v2/dags/{dag_id}/dagRuns/{run}/taskInstances/{task_id}/logs/{try_number}"
        return self.session().get(url, headers={"Accept": "application/json"}, timeout=10).text

    def wait_for_dag(self, dag_id: str, timeout: float = 120.0) -> None:
        """Until the DAG processor has put `dag_id` into the metadata DB (a trigger needs it there)."""
        api = self.session()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if api.get(f"{self.url}/api/v2/dags/{dag_id}", timeout=10).ok:
                return
            time.sleep(1)
        raise AssertionError(f"{dag_id} not parsed within {timeout:.0f} s:\n{self.tails()}")

    def tails(self) -> str:
        logs = [self.log, self.home / "scheduler.log", self.home / "dag-processor.log"]
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2500:]}" for p in logs if p.exists())
