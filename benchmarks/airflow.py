"""What Airflow costs: DAG folder parse time, and a sync run through Airflow vs from the CLI.

Parse time. The DAG processor parses every DAG file again and again, so a
DAG file must be cheap. We time `DagBag(folder)` in a fresh interpreter with
Airflow already imported (as the processor has it), for folders of 1, 10 and
100 mapping DAG files (copies of the shipped Account mapping under new
names), against folders holding the same number of empty DAG files (one
`DAG(...)` with no task) and the same two DAGs and seven tasks written by
hand. A first parse checks each mapping and builds its DAGs; a re-parse
finds both in the parse cache (`officebridge.airflow.parse_cache`) and
unpickles the DAGs; a re-parse after one mapping file was edited must
rebuild that mapping alone. Rounds interleaved (empty, cold, hand, warm,
changed), medians.

Run overhead. The same Account sync (N Accounts created in an emptied Odoo,
a fresh state store each time) runs with `officebridge run` (the whole
process), then twice with `dag.test()` in one Airflow process (one
partition), then with `officebridge run` again; at two sizes. dag.test
builds Airflow's in-process execution API first (a fixed cost a real
scheduler and worker do not pay per run), so the warm second DAG run is the
one compared. What Airflow adds (warm DAG run minus the CLI) must not grow
with the records. The HTTP calls of a DAG run come from the sandboxes'
request counters.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
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
for url in sys.argv[2:]:  # the parent resets Odoo and reads the request counters between runs
    sys.stdin.readline()
    os.environ["OFFICEBRIDGE_STATE_URL"] = url
    started = time.perf_counter()
    run = bag.dags["sync__salesforce_account_to_odoo"].test(run_conf={"partitions": 1})
    got = {"seconds": time.perf_counter() - started, "state": str(run.state)}
    print("@@RUN" + json.dumps(got), flush=True)  # Airflow logs to stdout too
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


def parse_rows(root: Path, counts: list[int], repeat: int = 3) -> list[dict[str, Any]]:
    """Per folder size, `repeat` rounds of: empty, cold (cache emptied first), the same graph by hand,
    warm (the cache of the cold parse), changed (one mapping file edited, the rest cached); each a
    fresh process, medians. The aim of issue 12: a parse within 1.5x the empty files + 200 ms."""
    home = root / "home"
    home.mkdir(parents=True)
    rows = []
    for count in counts:
        mappings, dags = _mapping_folder(root, count)
        empty = _empty_folder(root, count)
        same = _empty_folder(root, count, SAME_GRAPH_DAG, "hand")
        cache = root / f"cache{count}"
        env = {**_env(home, dags, mappings), "OFFICEBRIDGE_DAG_CACHE": str(cache)}
        runs: dict[str, list[float]] = {"empty": [], "cold": [], "warm": [], "hand": [], "changed": []}
        edited = mappings / f"accounts_{count // 2:03d}.yaml"
        for round_, kind in enumerate(("empty", "cold", "hand", "warm", "changed") * repeat):
            if kind == "changed":  # an analyst's edit: one mapping's content differs, the rest cached
                edited.write_text(edited.read_text() + f"# edit {round_}\n")
            if kind == "empty":
                got = _child(PARSE, _env(home, empty), str(empty))
                assert got["dags"] == count, got
            elif kind == "hand":
                got = _child(PARSE, _env(home, same), str(same))
                assert got["dags"] == 2 * count, got
            else:
                if kind == "cold":
                    shutil.rmtree(cache, ignore_errors=True)
                got = _child(PARSE, env, str(dags))
                # each mapping file gives its sync DAG and its replay DAG (officebridge.airflow.replay)
                assert got["dags"] == 2 * count, got
            runs[kind].append(got["seconds"])
        base, hand = statistics.median(runs["empty"]), statistics.median(runs["hand"])
        for kind, label in (
            ("cold", "first parse, no cache"),
            ("warm", "re-parse, checked mappings and built DAGs cached"),
        ):
            cand = statistics.median(runs[kind])
            goal = 1.5 * base + 0.2
            rows.append(
                {
                    "name": f"airflow: parse DAG folder, {count} mapping(s), {label}",
                    "baseline": f"{base * 1000:.0f} ms ({count} empty DAG file(s))",
                    "candidate": f"{cand * 1000:.0f} ms, {cand * 1000 / count:.1f} ms each",
                    "ratio": cand / base,
                    "aim": "<= 1.5x empty + 200 ms",
                    "note": ("ok" if cand <= goal else "MISSED")
                    + f" (limit {goal * 1000:.0f} ms); DagBag(folder), Airflow imported, fresh process each, "
                    f"median of {repeat}, interleaved; each mapping builds 2 DAGs, 7 tasks",
                }
            )
        warm, changed = statistics.median(runs["warm"]), statistics.median(runs["changed"])
        rows.append(
            {
                "name": f"airflow: parse DAG folder, {count} mapping(s), re-parse after one mapping changed",
                "baseline": f"{warm * 1000:.0f} ms (re-parse, nothing changed)",
                "candidate": f"{changed * 1000:.0f} ms (one mapping file edited)",
                "ratio": changed / warm,
                "aim": "about one mapping's first parse more, not all of them rebuilt",
                "note": f"+{(changed - warm) * 1000:.0f} ms: compare the 1-mapping first parse (one "
                f"mapping's whole cost in a fresh process); median of {repeat}, interleaved",
            }
        )
        rows.append(
            {
                "name": f"airflow: parse DAG folder, {count} mapping(s), re-parse vs the same graph by hand",
                "baseline": f"{hand * 1000:.0f} ms ({count} hand-written files, 2 DAGs and 7 tasks each)",
                "candidate": f"{statistics.median(runs['warm']) * 1000:.0f} ms (mappings, cached)",
                "ratio": statistics.median(runs["warm"]) / hand,
                "aim": "informative: Airflow's own cost of the same DAGs",
                "note": "below 1.0x: cached DAGs are unpickled, not built (no apply_defaults, Param checks)",
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


def _cli_run(env: dict[str, str], db: Path) -> float:
    started = time.perf_counter()
    cli = subprocess.run(
        [sys.executable, "-m", "officebridge.cli", "run", str(MAPPING)], capture_output=True, text=True,
        env={**env, "OFFICEBRIDGE_STATE_URL": f"sqlite:///{db}"}, timeout=1800, check=False,
    )  # fmt: skip
    if cli.returncode != 0:
        raise RuntimeError(f"officebridge run failed:\n{cli.stdout[-2000:]}\n{cli.stderr[-2000:]}")
    return time.perf_counter() - started


def _runs_at(root: Path, accounts: int, home: Path, warm: int) -> dict[str, Any]:
    """CLI, DAG run, CLI, DAG run ... CLI: each the same initial load into an emptied Odoo on a new
    state store; the DAG runs (a first, then `warm`) in one Airflow process that waits between them.
    HTTP calls from the sandboxes' counters, reset before each."""
    out: dict[str, Any] = {"cli": [], "cli_calls": [], "dag": [], "dag_calls": []}
    with sandboxes(root / f"sandboxes{accounts}", accounts) as pair:
        os.environ.pop("OFFICEBRIDGE_NO_AIRFLOW_LOOKUP", None)
        env = _env(home, REPO / "dags")  # with the sandboxes' AIRFLOW_CONN_* variables

        def fresh() -> None:
            pair.fresh_odoo()  # the same work each time: an initial load, every record created
            pair.reset_stats()

        def cli(n: int) -> None:
            fresh()
            out["cli"].append(_cli_run(env, root / f"cli{accounts}_{n}.db"))
            out["cli_calls"].append(pair.requests())
            assert len(pair.companies()) == accounts

        urls = [f"sqlite:///{root / f'dag{accounts}_{n}.db'}" for n in range(1 + warm)]
        child = subprocess.Popen(
            [sys.executable, "-c", DAG_TEST, str(REPO / "dags"), *urls], env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert child.stdin is not None and child.stdout is not None
        try:
            for n in range(len(urls)):
                cli(n)
                fresh()
                child.stdin.write("\n")
                child.stdin.flush()
                line = child.stdout.readline()
                while line and not line.startswith("@@RUN"):
                    line = child.stdout.readline()
                if not line:
                    raise RuntimeError(f"dag.test child failed ({child.wait()})")
                got = json.loads(line[len("@@RUN") :])
                assert got["state"] == "success", got
                out["dag"].append(got["seconds"])
                out["dag_calls"].append(pair.requests())
                assert len(pair.companies()) == accounts
        finally:
            child.kill()
            child.wait()
        cli(len(urls))
    return out


def overhead_rows(root: Path, sizes: list[int], warm: int = 2) -> list[dict[str, Any]]:
    """dag.test of the Account sync vs `officebridge run`, at two sizes: what Airflow adds to a DAG run
    must not grow with the records (issue 12 measured 4.4x the CLI: its second DAG run found the
    companies of the first one and updated all of them, one Odoo write each, a different workload)."""
    home = root / "airflow-home"
    home.mkdir(parents=True)
    _migrated_db(home)
    rows, medians = [], {}
    for accounts in sizes:
        got = _runs_at(root, accounts, home, warm)
        cli, dag = statistics.median(got["cli"]), statistics.median(got["dag"][1:])
        medians[accounts] = (cli, dag)
        rows.append(
            {
                "name": f"airflow: Account sync of {accounts} (created): dag.test run vs officebridge run",
                "baseline": f"{cli:.1f} s officebridge run (whole process, median of {len(got['cli'])})",
                "candidate": f"{dag:.1f} s warm DAG run (median of {warm}; {got['dag'][0]:.1f} s first)",
                "ratio": dag / cli,
                "aim": "informative; the overhead is the next rows",
                "note": "interleaved CLI, DAG run, CLI ...; DAG runs in one Airflow process (the first builds"
                " its in-process execution API); Odoo emptied before each",
            }
        )
        rows.append(
            {
                "name": f"airflow: Account sync of {accounts} (created): HTTP calls per DAG run",
                "baseline": f"{got['cli_calls'][0]} calls officebridge run",
                "candidate": f"{got['dag_calls'][1]} calls DAG run",
                "ratio": got["dag_calls"][1] / got["cli_calls"][0],
                "aim": "informative: what the DAG adds (check_connections' check calls)",
                "note": "dag.test runs every task in one process: they share one login and describe "
                "per system (officebridge.airflow.session); before it: 24 calls at 200 records",
            }
        )
    small, large = sizes
    (cli_s, dag_s), (cli_l, dag_l) = medians[small], medians[large]
    rows.append(
        {
            "name": f"airflow: dag.test vs officebridge run, time per added record, {small} -> {large}",
            "baseline": f"{(cli_l - cli_s) / (large - small) * 1e6:.0f} us/record officebridge run",
            "candidate": f"{(dag_l - dag_s) / (large - small) * 1e6:.0f} us/record warm DAG run",
            "ratio": (dag_l - dag_s) / (cli_l - cli_s) if cli_l > cli_s else float("nan"),
            "aim": "about 1.0x: Airflow's overhead fixed, not per record",
            "note": f"overhead (DAG run - CLI) {dag_s - cli_s:+.1f} s at {small}, {dag_l - cli_l:+.1f} s at "
            f"{large}; the CLI pays interpreter start and imports, the warm DAG run does not",
        }
    )
    return rows


def run(quick: bool = False) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="bench-airflow-") as tmp:
        root = Path(tmp)
        rows = parse_rows(root / "parse", [1, 10] if quick else [1, 10, 100])
        rows += overhead_rows(root / "run", [200, 1000] if quick else [2000, 10000])
    return rows
