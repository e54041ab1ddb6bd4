"""The DAG factory: one mapping file in, one `sync__<name>` DAG out.

Called by the tiny DAG files in dags/ at parse time, so it must stay cheap:
it reads and checks the YAML (the same checks as `officebridge check`
without the live systems) and builds the task graph; connectors, pandas and
Great Expectations are imported only when a task runs. A mapping with
problems raises MappingError listing each with file, line and column, which
Airflow shows as the import error of that mapping's own DAG file.

The graph an ops engineer reads: check_connections -> plan_partitions ->
extract_transform_load (mapped, one per partition) -> commit_watermark ->
report -> dead_letters (fails, with the reason and a link to the Syncs
view, when the run left dead letters; `officebridge.airflow.health` says
why). On an ordinary run there is one partition (incremental from the
watermark); on an initial load the source is split into cursor windows that
executors can spread over workers, and the watermark moves once at the end.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from officebridge.airflow import assets
from officebridge.errors import ConfigError

DEFAULT_PARTITIONS = 4
POOLS_ENV = "OFFICEBRIDGE_POOLS"  # connection ids whose syncs share an Airflow pool officebridge_<conn_id>
START = datetime(2024, 1, 1, tzinfo=UTC)
DEFAULT_ARGS: dict[str, Any] = {
    "retries": 3,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,  # 30 s, 1 min, 2 min ...
    "max_retry_delay": timedelta(minutes=30),
}


def mappings_root(dag_file: str | Path) -> Path:
    """$OFFICEBRIDGE_MAPPINGS, else the mappings/ folder next to the DAG folder."""
    configured = os.environ.get("OFFICEBRIDGE_MAPPINGS")
    return Path(configured).resolve() if configured else Path(dag_file).resolve().parent.parent / "mappings"


def mapping_dags(dag_file: str | Path, mapping_file: str) -> tuple[Any, Any]:
    """The `sync__<name>` and `replay__<name>` DAGs of `mappings/<mapping_file>`; what each DAG file calls.

    Both come from the parse cache while the mapping file, its record schema and the code that built
    them are unchanged (`officebridge.airflow.parse_cache`); `schedule.on` is checked on every parse,
    since the folder around the file may change. A broken mapping raises MappingError, never cached.
    """
    from officebridge.airflow.parse_cache import built_dags  # noqa: PLC0415

    path = mappings_root(dag_file) / mapping_file
    built = built_dags(path, _build_both)
    if built.runs_after:
        _check_upstream(built.sync, built.runs_after, built.file, path.parent)
    return built.dags


def mapping_dag(dag_file: str | Path, mapping_file: str) -> Any:
    """The sync DAG alone, built on every parse (DAG files written before `mapping_dags` existed).

    Its replay DAG registers itself through its `with DAG(...)` block, as it always did.
    """
    from officebridge.airflow.parse_cache import checked_mapping  # noqa: PLC0415

    path = mappings_root(dag_file) / mapping_file
    mapping = checked_mapping(path)
    if mapping.runs_after:
        _check_upstream(mapping.name, mapping.runs_after, mapping.file, path.parent)
    return _build_both(mapping)[0]


def _build_both(mapping: Any) -> tuple[Any, Any]:
    from officebridge.airflow.replay import build_replay_dag  # noqa: PLC0415

    return build_dag(mapping), build_replay_dag(mapping)


def _check_upstream(sync: str, name: str, file: Any, folder: Path) -> None:
    """`schedule: {on: X}` must name a sync that exists, or the DAG would silently never run."""
    if name == sync:
        raise ConfigError(f"{file}: schedule.on names this sync itself ({name!r})")
    pattern = re.compile(rf"^name:\s*['\"]?{re.escape(name)}['\"]?\s*(#.*)?$", re.MULTILINE)
    for candidate in sorted(folder.glob("*.y*ml")):
        if candidate.stem == name or pattern.search(candidate.read_text(encoding="utf-8", errors="replace")):
            return
    raise ConfigError(f"{file}: schedule.on names sync {name!r}; no mapping in {folder} has that name")


def schedule_of(mapping: Any) -> Any:
    if mapping.runs_after:
        return assets.upstream_asset(mapping.runs_after)
    return mapping.schedule  # cron, preset, or None (on demand)


def doc_md(mapping: Any) -> str:
    src, tgt = mapping.source, mapping.target
    lines = [
        f"### {mapping.description or mapping.name}",
        "",
        f"* **source**: `{src.system}` object `{src.object}` (connection `{src.connection}`)",
        f"* **target**: `{tgt.system}` object `{tgt.object}` (connection `{tgt.connection}`), "
        f"mode `{tgt.mode}`, match on `{tgt.match}`, deletions: `{tgt.on_delete}`",
        f"* **mapping file**: `{Path(mapping.file).name}`",
        f"* **publishes**: asset `{assets.asset_uri(mapping)}`",
    ]
    if mapping.runs_after:
        lines.append(f"* **runs after**: `sync__{mapping.runs_after}` (when it has written)")
    lines += ["", "| target field | from |", "|---|---|"]
    for rule in mapping.fields:
        via = (rule.lookup and rule.lookup.object) or (rule.link and rule.link.sync)
        shown = repr(rule.constant) if rule.source == "constant" else (rule.copy or rule.expr or via)
        lines.append(f"| `{rule.target}` | {rule.source} `{shown}` |")
    lines += ["", "Params: `partitions` splits a first (initial) load into that many windows."]
    return "\n".join(lines)


def pool_of(mapping: Any) -> str | None:
    """`officebridge_<conn_id>` when the sync's source or target connection is listed in
    $OFFICEBRIDGE_POOLS (comma-separated; the first listed wins), else None (Airflow's default pool).

    Opt-in because a task in a pool that does not exist is never scheduled: create the pool first
    (`airflow pools set officebridge_salesforce_default 4 "one Salesforce org"`); its slots bound how
    many loads of that system run at once across every sync, the connector's Sforce-Limit-Info budget
    bounds the day's requests.
    """
    listed = [c.strip() for c in os.environ.get(POOLS_ENV, "").split(",") if c.strip()]
    used = {mapping.source.connection, mapping.target.connection}
    return next((f"officebridge_{conn}" for conn in listed if conn in used), None)


# The task callables live at module level, not as closures in build_dag: a built DAG then pickles
# (the parse cache keeps it), its tasks referring to these functions by name. Each takes the mapping
# file's path as its first argument; tasks holds what they do, imported only when a task runs.


def run_check_connections(mapping_path: str) -> dict[str, str]:
    from airflow.sdk import get_current_context  # noqa: PLC0415

    from officebridge.airflow import tasks  # noqa: PLC0415

    return tasks.check_connections(mapping_path, get_current_context())


def run_plan_partitions(mapping_path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    from airflow.sdk import get_current_context  # noqa: PLC0415

    from officebridge.airflow import tasks  # noqa: PLC0415

    count = int((params or {}).get("partitions", DEFAULT_PARTITIONS))
    return tasks.plan(mapping_path, count, get_current_context())


def run_extract_transform_load(mapping_path: str, partition: dict[str, Any]) -> dict[str, Any]:
    from airflow.sdk import get_current_context  # noqa: PLC0415

    from officebridge.airflow import tasks  # noqa: PLC0415

    return tasks.load(mapping_path, partition, get_current_context())


def run_commit_watermark(mapping_path: str, results: Any) -> dict[str, Any]:  # Any: an XComArg at parse time
    from airflow.sdk import get_current_context  # noqa: PLC0415

    from officebridge.airflow import tasks  # noqa: PLC0415

    return tasks.finish(mapping_path, list(results), get_current_context())


def run_report(results: Any, finished: Any) -> dict[str, Any]:
    from officebridge.airflow import tasks  # noqa: PLC0415

    return tasks.report(list(results), finished)


def run_dead_letters(summary: Any) -> dict[str, Any]:
    from officebridge.airflow import health  # noqa: PLC0415

    return health.check_dead_letters(summary)


@cache
def shared_task(function: Callable[..., Any], task_id: str, **options: Any) -> Any:
    """`@task(task_id=..., **options)` of a task callable, made once per process: the decorator
    inspects the function's signature, and every mapping's DAG has the same tasks."""
    from airflow.sdk import task  # noqa: PLC0415

    return task(task_id=task_id, **options)(function)


def build_dag(mapping: Any) -> Any:
    from airflow.sdk import DAG, Param  # noqa: PLC0415

    path = str(mapping.file)
    with DAG(
        dag_id=f"sync__{mapping.name}",
        description=mapping.description or None,
        doc_md=doc_md(mapping),
        schedule=schedule_of(mapping),
        start_date=START,
        catchup=False,
        max_active_runs=1,
        tags=sorted({"officebridge", *mapping.tags}),
        default_args={**DEFAULT_ARGS, "owner": mapping.owner or "officebridge"},
        params={
            "partitions": Param(
                DEFAULT_PARTITIONS,
                type="integer",
                minimum=1,
                maximum=64,
                description="Windows for an initial load (no watermark yet); ordinary runs use one.",
            )
        },
    ) as dag:
        pooled: dict[str, Any] = {"pool": pool} if (pool := pool_of(mapping)) else {}  # unset: default_pool
        checked = shared_task(run_check_connections, "check_connections")(path)
        parts = shared_task(run_plan_partitions, "plan_partitions")(path)
        checked >> parts
        etl = shared_task(run_extract_transform_load, "extract_transform_load", **pooled)
        loaded = etl.partial(mapping_path=path).expand(partition=parts)
        finished = shared_task(run_commit_watermark, "commit_watermark")(path, loaded)
        report = shared_task(run_report, "report").override(outlets=[assets.published_asset(mapping)])
        shared_task(run_dead_letters, "dead_letters", retries=0)(report(loaded, finished))
    return dag
