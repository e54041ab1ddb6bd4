"""What Airflow costs: DAG folder parse time, and a sync run through Airflow vs from the CLI.

Parse time. The DAG processor parses every DAG file again and again, so a
DAG file must be cheap. We time `DagBag(folder)` in a fresh interpreter with
Airflow already imported (as the processor has it), for folders of 1, 10 and
100 mapping DAG files (copies of the shipped Account mapping under new
names), against folders holding the same number of empty DAG files (one
`DAG(...)` with no task). The mapping files pay for reading and checking
their YAML and building five tasks; the first one also imports the mapping
checker (the second row onward shows the per-file cost).

Run overhead. The same Account sync (N Accounts into an emptied Odoo) runs
once with `officebridge run` and once with `dag.test()` (one partition, the
same work), each in its own process on a fresh state store; we time the
whole process and the sync itself. dag.test builds Airflow's in-process
execution API first (a fixed cost a real scheduler and worker do not pay per
run), so the warm second DAG run of the same process is reported as well.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

from benchmarks._sandboxes import MAPPING, sandboxes
from officebridge.airflow.stubs import write_stubs

REPO = Path(__file__).resolve().parent.parent
EMPTY_DAG = '''"""An empty Airflow DAG: the parse-time baseline."""
from airflow.sdk import DAG

dag = DAG("empty_{i}", schedule=None)
'''
SAME_GRAPH_DAG = '''"""A mapping's two DAGs and seven tasks, written by hand: Airflow's own cost."""
from datetime import datetime, timedelta, timezone
from airflow.sdk import DAG, Param, task

ARGS = {{"retries": 3, "retry_delay": timedelta(seconds=30), "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(minutes=30), "owner": "sales-ops"}}
START = datetime(2024, 1, 1, tzinfo=timezone.utc)

with DAG("sync__hand_{i}", schedule="@hourly", start_date=START, catchup=False, max_active_runs=1,
         tags=["officebridge"], default_args=ARGS, doc_md="a sync",
         params={{"partitions": Param(4, type="integer", minimum=1, maximum=64)}}):
    @task(task_id="check_connections")
    def check_connections(): return {{}}
    @task(task_id="plan_partitions")
    def plan_partitions(params=None): return [{{}}]
    @task(task_id="extract_transform_load")
    def extract_transform_load(partition): return {{}}
    @task(task_id="commit_watermark")
    def commit_watermark(results): return {{}}
    @task(task_id="report")
    def report(results, finished): return {{}}
    @task(task_id="dead_letters", retries=0)
    def dead_letters(summary): return {{}}
    checked = check_connections()
    parts = plan_partitions()
    checked >> parts
    loaded = extract_transform_load.expand(partition=parts)
    finished = commit_watermark(loaded)
    dead_letters(report(loaded, finished))

with DAG("replay__hand_{i}", schedule=None, start_date=START, catchup=False, max_active_runs=1,
         tags=["officebridge", "replay"], default_args=ARGS, doc_md="replay",
         params={{"letter_ids": Param([], type="array", items={{"type": "integer"}})}}):
    @task(task_id="replay_dead_letters")
    def replay_dead_letters(params=None): return {{}}
    replay_dead_letters()
'''
PARSE = """
import json, sys, time
import airflow.sdk  # the processor has Airflow imported before it parses a file
from airflow.dag_processing.dagbag import DagBag
started = time.perf_counter()
bag = DagBag(sys.argv[1])
elapsed = time.perf_counter() - started
assert not bag.import_errors, bag.import_errors
print(json.dumps({"seconds": elapsed, "dags": len(bag.dags)}))
"""
DAG_TEST = """
import json, os, sys, time
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(sys.argv[1])
out = []
for url in sys.argv[2:]:
    os.environ["OFFICEBRIDGE_STATE_URL"] = url
    started = time.perf_counter()
    run = bag.dags["sync__salesforce_account_to_odoo"].test(run_conf={"partitions": 1})
    out.append({"seconds": time.perf_counter() - started, "state": str(run.state)})
print(json.dumps(out))
"""


def _env(home: Path, dags: Path, mappings: Path | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home / 'airflow.db'}",
        AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
        PYTHONPATH=str(REPO),
    )
    if mappings is not None:
        env["OFFICEBRIDGE_MAPPINGS"] = str(mappings)
    return env


def _child(code: str, env: dict[str, str], *args: str) -> Any:
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"child failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _mapping_folder(root: Path, count: int) -> tuple[Path, Path]:
    mappings, dags = root / f"mappings{count}", root / f"dags{count}"
    mappings.mkdir(parents=True)
    text = MAPPING.read_text()
    for i in range(count):
        renamed = text.replace("name: salesforce_account_to_odoo", f"name: accounts_{i:03d}")
        (mappings / f"accounts_{i:03d}.yaml").write_text(renamed)
    for extra in ("schemas",):  # a mapping may point at record schemas next to it
        if (REPO / extra).exists():
            shutil.copytree(REPO / extra, root / extra, dirs_exist_ok=True)
    write_stubs(dags, mappings)
    return mappings, dags


def _empty_folder(root: Path, count: int, template: str = EMPTY_DAG, kind: str = "empty") -> Path:
    dags = root / f"{kind}{count}"
    dags.mkdir(parents=True)
    for i in range(count):
        (dags / f"{kind}_{i:03d}.py").write_text(template.format(i=i))
    return dags


def parse_rows(root: Path, counts: list[int]) -> list[dict[str, Any]]:
    """Per folder size: empty, cold (no cache), empty, warm (the cache of the cold parse), each in a fresh
    process; the aim of issue 12: parse <= 1.5x the empty files + 200 ms."""
    home = root / "home"
    home.mkdir(parents=True)
    rows = []
    for count in counts:
        mappings, dags = _mapping_folder(root, count)
        empty = _empty_folder(root, count)
        same = _empty_folder(root, count, SAME_GRAPH_DAG, "hand")
        env = {**_env(home, dags, mappings), "OFFICEBRIDGE_DAG_CACHE": str(root / f"cache{count}")}
        runs: dict[str, list[float]] = {"empty": [], "cold": [], "warm": [], "hand": []}
        for kind in ("empty", "cold", "hand", "empty", "warm", "hand"):
            if kind == "empty":
                got = _child(PARSE, _env(home, empty), str(empty))
                assert got["dags"] == count, got
            elif kind == "hand":
                got = _child(PARSE, _env(home, same), str(same))
                assert got["dags"] == 2 * count, got
            else:
                got = _child(PARSE, env, str(dags))
                # each mapping file gives its sync DAG and its replay DAG (officebridge.airflow.replay)
                assert got["dags"] == 2 * count, got
            runs[kind].append(got["seconds"])
        base = min(runs["empty"])
        for kind, label in (("cold", "first parse, no cache"), ("warm", "re-parse, checked mappings cached")):
            cand = runs[kind][0]
            goal = 1.5 * base + 0.2
            rows.append(
                {
                    "name": f"airflow: parse DAG folder, {count} mapping(s), {label}",
                    "baseline": f"{base * 1000:.0f} ms ({count} empty DAG file(s))",
                    "candidate": f"{cand * 1000:.0f} ms, {cand * 1000 / count:.1f} ms each",
                    "ratio": cand / base,
                    "aim": "<= 1.5x empty + 200 ms",
                    "note": ("ok" if cand <= goal else "MISSED")
                    + f" (limit {goal * 1000:.0f} ms); DagBag(folder), Airflow imported, fresh process each; "
                    "each mapping builds 2 DAGs, 7 tasks",
                }
            )
        hand = min(runs["hand"])
        rows.append(
            {
                "name": f"airflow: parse DAG folder, {count} mapping(s), re-parse vs the same graph by hand",
                "baseline": f"{hand * 1000:.0f} ms ({count} hand-written files, 2 DAGs and 7 tasks each)",
                "candidate": f"{runs['warm'][0] * 1000:.0f} ms (mappings, cached)",
                "ratio": runs["warm"][0] / hand,
                "aim": "informative: Airflow's own cost of the same DAGs",
                "note": "what is left above it is officebridge's (imports, cache lookups, doc_md)",
            }
        )
    return rows


def _migrated_db(home: Path) -> None:
    cached = Path(tempfile.gettempdir()) / f"officebridge-airflow-{version('apache-airflow')}.db"
    if not cached.exists():
        subprocess.run(
            [sys.executable, "-m", "airflow", "db", "migrate"], env=_env(home, home), check=True,
            capture_output=True, timeout=600,
        )  # fmt: skip
        shutil.copyfile(home / "airflow.db", cached)
    shutil.copyfile(cached, home / "airflow.db")


def overhead_rows(root: Path, accounts: int) -> list[dict[str, Any]]:
    home = root / "airflow-home"
    home.mkdir(parents=True)
    _migrated_db(home)
    with sandboxes(root / "sandboxes", accounts) as pair:
        os.environ.pop("OFFICEBRIDGE_NO_AIRFLOW_LOOKUP", None)
        env = _env(home, REPO / "dags")
        started = time.perf_counter()
        cli = subprocess.run(
            [sys.executable, "-m", "officebridge.cli", "run", str(MAPPING)], capture_output=True, text=True,
            env={**env, "OFFICEBRIDGE_STATE_URL": f"sqlite:///{root / 'cli.db'}"}, timeout=1800, check=False,
        )  # fmt: skip
        cli_seconds = time.perf_counter() - started
        if cli.returncode != 0:
            raise RuntimeError(f"officebridge run failed:\n{cli.stdout[-2000:]}\n{cli.stderr[-2000:]}")
        assert len(pair.companies()) == accounts
        pair.fresh_odoo()
        started = time.perf_counter()
        first, warm = _child(DAG_TEST, env, str(REPO / "dags"), f"sqlite:///{root / 'a1.db'}",
                             f"sqlite:///{root / 'a2.db'}")  # fmt: skip
        airflow_seconds = time.perf_counter() - started
        assert first["state"] == warm["state"] == "success", (first, warm)
        assert len(pair.companies()) == accounts  # the warm run found them all (new store: updates, no dupes)
    return [
        {
            "name": f"airflow: Account sync of {accounts} records, whole process",
            "baseline": f"{cli_seconds:.1f} s (officebridge run)",
            "candidate": f"{airflow_seconds:.1f} s (2 dag.test runs in one process)",
            "ratio": airflow_seconds / cli_seconds,
            "aim": "overhead is fixed, not per record",
            "note": "includes interpreter start and Airflow import",
        },
        {
            "name": f"airflow: Account sync of {accounts} records, dag.test itself",
            "baseline": f"{cli_seconds:.1f} s (officebridge run, whole process)",
            "candidate": f"{first['seconds']:.1f} s first, {warm['seconds']:.1f} s warm",
            "ratio": warm["seconds"] / cli_seconds,
            "aim": "warm run close to the CLI",
            "note": "first run builds Airflow's in-process execution API; warm = second run, same process",
        },
    ]


def run(quick: bool = False) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="bench-airflow-") as tmp:
        root = Path(tmp)
        rows = parse_rows(root / "parse", [1, 10] if quick else [1, 10, 100])
        rows += overhead_rows(root / "run", 200 if quick else 2000)
    return rows
