"""The `pair__<name>` DAGs: each two-way mapping file run by Airflow's workers, on its schedule.

One DAG per file in `mappings/pairs/`, three tasks in a row: side a's changes
(`a_to_b`), side b's (`b_to_a`), then `conflicts`, which fails the DAG run
(without retry) when this run left manual conflicts open, naming the command
that resolves them: health that an ops engineer can see in the grid. Both
direction tasks take the pair's lock, so a pair never interleaves with itself,
a resolution or a reconciliation; each maps officebridge errors to Airflow's
retry or fail-fast once (`officebridge.airflow.failure`).

Parsing stays cheap: the DAG folder's `officebridge_pairs.py` calls
`pair_dags`, which checks each file's YAML against the manifests (no connector
opened). A file that does not load gets no DAG; `officebridge validate` shows why.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from officebridge.errors import OfficeBridgeError

log = logging.getLogger(__name__)
PREFIX = "pair__"


def dag_id_of(pair: str) -> str:
    return f"{PREFIX}{pair}"


def pair_dags(dag_file: str | Path) -> dict[str, Any]:
    """One `pair__<name>` DAG per two-way file that loads, by DAG id."""
    from officebridge.airflow.dags import mappings_root  # noqa: PLC0415
    from officebridge.pair.loader import is_pair_file, load_pair  # noqa: PLC0415

    dags: dict[str, Any] = {}
    for path in sorted((mappings_root(dag_file) / "pairs").glob("*.y*ml")):
        if not is_pair_file(path):
            continue
        try:
            pair = load_pair(path)
        except OfficeBridgeError as exc:
            log.warning("two-way file %s has problems, no DAG: %s", path, exc)
            continue
        dag = build_pair_dag(pair)
        dags[dag.dag_id] = dag
    return dags


def build_pair_dag(pair: Any) -> Any:
    from airflow.sdk import DAG, task  # noqa: PLC0415

    from officebridge.airflow.dags import DEFAULT_ARGS, START  # noqa: PLC0415

    a, b = pair.a, pair.b
    with DAG(
        dag_id=dag_id_of(pair.name),
        description=pair.description or f"{a.system} {a.object} <-> {b.system} {b.object}",
        doc_md=(
            f"Two-way sync `{pair.name}` ({pair.file}): `{a.system}` `{a.object}` (side a) and "
            f"`{b.system}` `{b.object}` (side b), field by field. Manual conflicts fail the "
            f"`conflicts` task; resolve them in the Syncs view or with `officebridge conflicts "
            f"list --pair {pair.name}`."
        ),
        schedule=pair.schedule,
        start_date=START,
        catchup=False,
        max_active_runs=1,
        tags=sorted({"officebridge", "two-way", *pair.a_to_b.tags}),
        default_args={**DEFAULT_ARGS, "owner": pair.a_to_b.owner or "officebridge"},
    ) as dag:
        forward = task(task_id="a_to_b")(run_direction)(str(pair.file), "a")
        backward = task(task_id="b_to_a")(run_direction)(str(pair.file), "b")
        check = task(task_id="conflicts", retries=0)(open_conflicts)(pair.name)
        forward >> backward >> check
    return dag


def run_direction(pair_path: str, side: str) -> dict[str, Any]:
    """A task: one direction of the pair, recorded like any run (the Syncs view links to it)."""
    from airflow.sdk import get_current_context  # noqa: PLC0415

    from officebridge.airflow.tasks import _fail_fast, airflow_detail  # noqa: PLC0415
    from officebridge.pair.runner import prepared_pair  # noqa: PLC0415
    from officebridge.sync.run import RunOptions  # noqa: PLC0415

    options = RunOptions(trigger="airflow", detail=airflow_detail(get_current_context()))
    with _fail_fast(), prepared_pair(pair_path, None, options) as (forward, backward):
        result = (forward if side == "a" else backward).run()
    log.info("%s: %s %s (notes %s)", result.sync, result.status, result.counts.as_dict(), result.notes)
    return {"sync": result.sync, "run_id": result.run_id, "status": result.status, **result.counts.as_dict()}


def open_conflicts(pair: str) -> dict[str, Any]:
    """A task: fail, naming the way out, when this DAG run found (or met again) manual conflicts."""
    from airflow.sdk import get_current_context  # noqa: PLC0415
    from airflow.sdk.exceptions import AirflowFailException  # noqa: PLC0415

    from officebridge.state import StateStore  # noqa: PLC0415

    dag_run = get_current_context().get("dag_run")
    began: datetime | None = getattr(dag_run, "start_date", None)
    with StateStore.open() as store:
        letters = store.dead_letters(pair, limit=10_000, stage="conflict")
    seen = [d for d in letters if began is None or d.updated_at >= began]
    if seen:
        ids = ", ".join(str(d.id) for d in seen[:20])
        raise AirflowFailException(
            f"{pair}: {len(seen)} manual conflict(s) met in this run ({ids}); both sides keep their "
            f"values until a person decides: officebridge conflicts list --pair {pair}, then "
            "officebridge conflicts resolve ID --take a|b (or the Syncs view)"
        )
    return {"pair": pair, "open_conflicts": len(letters)}
