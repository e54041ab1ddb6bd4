"""Real Airflow for the e2e tests: a throw-away AIRFLOW_HOME with a migrated metadata DB per test.

`airflow db migrate` takes about ten seconds, so the migrated SQLite file is
made once per Airflow version and cached in the temp folder; each test gets a
copy. Airflow itself runs in child processes (see driver.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from tests.integration.sync.conftest import Bridge, bridge_on  # noqa: F401 - fixture reused here
from tests.integration.sync.conftest import bridge as bridge  # noqa: PLC0414 - re-exported fixture

REPO = Path(__file__).resolve().parents[3]
DAGS = REPO / "dags"
MAPPINGS = REPO / "mappings"


def airflow_env(home: Path, dags: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        AIRFLOW__CORE__PLUGINS_FOLDER=str(home / "plugins"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
        AIRFLOW__LOGGING__BASE_LOG_FOLDER=str(home / "logs"),
        AIRFLOW__CORE__DAGBAG_IMPORT_ERROR_TRACEBACK_DEPTH="1",
        PYTHONPATH=str(REPO),
    )
    env.update(extra)
    return env


def migrated_db_template() -> Path:
    """A migrated, empty metadata DB for this Airflow version (built once, then reused)."""
    cached = Path(tempfile.gettempdir()) / f"officebridge-airflow-{version('apache-airflow')}.db"
    if cached.exists():
        return cached
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        env = airflow_env(home, home / "dags")
        subprocess.run([sys.executable, "-m", "airflow", "db", "migrate"], env=env, check=True,
                       capture_output=True, timeout=300)  # fmt: skip
        partial = cached.with_suffix(f".{os.getpid()}.tmp")
        shutil.copyfile(home / "airflow.db", partial)
        partial.replace(cached)  # atomic: a concurrent session sees the whole file or none
    return cached


@dataclass
class AirflowHome:
    home: Path

    def env(self, dags: Path = DAGS, **extra: str) -> dict[str, str]:
        return airflow_env(self.home, dags, **extra)

    def drive(self, *args: str, dags: Path = DAGS, timeout: float = 300, **extra: str) -> Any:
        return self.drive_logged(*args, dags=dags, timeout=timeout, **extra)[0]

    def drive_logged(
        self, *args: str, dags: Path = DAGS, timeout: float = 300, **extra: str
    ) -> tuple[Any, str]:
        """`drive`, and everything the driver printed (dag.test prints the task logs), stdout then stderr."""
        proc = subprocess.run(
            [sys.executable, "-m", "tests.e2e.airflow.driver", args[0], str(dags), *args[1:]],
            env=self.env(dags, **extra), cwd=REPO, capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip
        marker = "@@RESULT@@"
        found = [line for line in proc.stdout.splitlines() if line.startswith(marker)]
        if proc.returncode != 0 or not found:
            raise AssertionError(
                f"driver failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}"
            )
        return json.loads(found[-1][len(marker) :]), proc.stdout + proc.stderr


@pytest.fixture
def airflow_home(tmp_path: Path) -> AirflowHome:
    home = tmp_path / "airflow"
    home.mkdir()
    shutil.copyfile(migrated_db_template(), home / "airflow.db")
    return AirflowHome(home)


@pytest.fixture
def dag_test(airflow_home: AirflowHome, bridge: Bridge) -> Callable[..., list[dict[str, Any]]]:
    """Run DAGs with dag.test() against the bridge's sandboxes and state store."""

    def run(*plan: tuple[Any, ...]) -> list[dict[str, Any]]:
        """Each step: (dag_id, conf) or (dag_id, conf, environment for that run)."""
        url = bridge.store.url.render_as_string(hide_password=False)
        steps = [(step[0], step[1], step[2] if len(step) > 2 else {}) for step in plan]
        result: list[dict[str, Any]] = airflow_home.drive(
            "test", json.dumps(steps), OFFICEBRIDGE_STATE_URL=url
        )
        return result

    return run
