"""The `reconcile__<sync>` DAGs: each sync compared with its target once a day, by Airflow's workers.

A DAG of its own rather than a task of `sync__<sync>`: the sync runs hourly
(or on an upstream asset) and a reconciliation reads the whole scope of both
systems, so it gets its own daily schedule and its own grid, and never holds
up a load. Both take the sync's lock, so they never overlap: a reconcile
that meets a run in progress fails with SyncLockedError and Airflow retries
it. Param `repair` (default false) puts what was found right through the
sync's write path. The task fails, without retry, when drift was found and
is still there, naming the report.

Parsing stays cheap: the DAG folder's file `officebridge_reconcile.py` calls
`reconcile_dags`, which reads each mapping through the parse cache (YAML
checks only; no connector, pandas or GX import) and builds one task per sync.
A mapping that does not load gets no reconcile DAG: its own `sync__` file
shows the problem.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from officebridge.errors import OfficeBridgeError

log = logging.getLogger(__name__)
PREFIX = "reconcile__"
SCHEDULE = "@daily"


def dag_id_of(sync: str) -> str:
    return f"{PREFIX}{sync}"


def reconcile_dags(dag_file: str | Path) -> dict[str, Any]:
    """One `reconcile__<sync>` DAG per mapping file that loads, by DAG id."""
    from officebridge.airflow.dags import mappings_root  # noqa: PLC0415
    from officebridge.airflow.parse_cache import checked_mapping  # noqa: PLC0415
    from officebridge.pair.loader import is_pair_file, load_pair  # noqa: PLC0415

    dags: dict[str, Any] = {}
    for path in sorted(mappings_root(dag_file).glob("*.y*ml")):
        try:
            mapping = checked_mapping(path)
        except OfficeBridgeError:
            continue  # the mapping's own DAG file raises the problem, with file, line and column
        dag = build_reconcile_dag(mapping)
        dags[dag.dag_id] = dag
    for path in sorted((mappings_root(dag_file) / "pairs").glob("*.y*ml")):
        if not is_pair_file(path):
            continue
        try:
            pair = load_pair(path)
        except OfficeBridgeError:
            continue  # `officebridge validate` says why; the pair gets no DAG of either kind
        # the pair compared both ways, under its own name, with side a's and side b's objects as the ends
        dag = build_reconcile_dag(dataclasses.replace(pair.a_to_b, name=pair.name, file=str(path)))
        dags[dag.dag_id] = dag
    return dags


def build_reconcile_dag(mapping: Any) -> Any:
    from airflow.sdk import DAG, Param, task  # noqa: PLC0415

    from officebridge.airflow.dags import DEFAULT_ARGS, START  # noqa: PLC0415

    with DAG(
        dag_id=dag_id_of(mapping.name),
        description=f"Compare {mapping.name}'s source and target record by record (daily)",
        doc_md=(
            f"Reconciles `sync__{mapping.name}`: reads `{mapping.source.system}` `{mapping.source.object}` "
            f"in scope and the linked `{mapping.target.system}` `{mapping.target.object}` records, and "
            "counts missing, broken, extra and drifted ones (the Syncs view shows the last counts; the "
            'HTML and JSON reports are in the reports folder). Trigger with conf `{"repair": true}` to '
            "put them right through the sync."
        ),
        schedule=SCHEDULE,
        start_date=START,
        catchup=False,
        max_active_runs=1,
        tags=sorted({"officebridge", "reconcile", *mapping.tags}),
        default_args={**DEFAULT_ARGS, "owner": mapping.owner or "officebridge"},
        params={"repair": Param(False, type="boolean", description="Write what is missing or drifted.")},
    ) as dag:
        task(task_id="reconcile")(run_reconcile)(str(mapping.file))
    return dag


def run_reconcile(mapping_path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The task: reconcile, and fail (no retry) when something is still out of step."""
    from airflow.sdk import get_current_context  # noqa: PLC0415
    from airflow.sdk.exceptions import AirflowFailException  # noqa: PLC0415

    from officebridge.airflow.tasks import _fail_fast, airflow_detail  # noqa: PLC0415
    from officebridge.pair.loader import is_pair_file  # noqa: PLC0415
    from officebridge.reconcile.pair_run import reconcile_pair  # noqa: PLC0415
    from officebridge.reconcile.run import ReconcileOptions  # noqa: PLC0415
    from officebridge.reconcile.sync import reconcile_mapping  # noqa: PLC0415

    context = get_current_context()
    repair = bool((params or {}).get("repair", False))
    with _fail_fast():
        options = ReconcileOptions(repair=repair, trigger="airflow")
        if is_pair_file(mapping_path):  # a two-way file: both sides, each against the other
            outcome = reconcile_pair(mapping_path, None, options, detail=airflow_detail(context))
        else:
            outcome = reconcile_mapping(mapping_path, None, options, detail=airflow_detail(context))
    row = outcome.reconciliation
    log.info("%s: reconciliation %d %s: %s", row.sync, row.id, row.status, row.counts)
    if outcome.out_of_step:
        raise AirflowFailException(
            f"{row.sync}: out of step (missing {row.counts['missing']}, broken {row.counts['broken']}, "
            f"extra {row.counts['extra']}, drifted {row.counts['drifted']}); report: "
            f'{outcome.reports.get("html")}; trigger with conf {{"repair": true}} to put it right'
        )
    return {"sync": row.sync, "reconciliation_id": row.id, "status": row.status, "counts": row.counts}
