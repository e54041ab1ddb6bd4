"""Start a `replay__<sync>` DAG run from the Syncs view, inside Airflow's API server.

The API server only creates the DAG run (Airflow's own `trigger_dag`, as its
Trigger button does), with the dead-letter ids in the run's conf; the scheduler
hands it to a worker, which reads the records again and pushes them through
(`officebridge.airflow.replay`). No connector runs in the API server.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import quote

from officebridge.airflow.replay import dag_id_of


class TriggerError(Exception):
    """The run could not be created; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class TriggeredRun:
    dag_id: str
    run_id: str
    url: str  # the run in Airflow's UI (grid, task logs)


def airflow_base_url() -> str:
    base = os.environ.get("AIRFLOW__API__BASE_URL")
    if not base:
        from airflow.configuration import conf  # noqa: PLC0415 - only inside Airflow

        base = conf.get("api", "base_url", fallback="") or ""
    return base.rstrip("/")


def trigger_replay(sync: str, letter_ids: list[int], user_name: str, *, from_ui: bool) -> TriggeredRun:
    from airflow.api.common.trigger_dag import trigger_dag  # noqa: PLC0415
    from airflow.exceptions import DagNotFound  # noqa: PLC0415
    from airflow.utils.types import DagRunTriggeredByType  # noqa: PLC0415

    dag_id = dag_id_of(sync)
    try:
        run = trigger_dag(
            dag_id,
            triggered_by=DagRunTriggeredByType.UI if from_ui else DagRunTriggeredByType.REST_API,
            triggering_user_name=user_name,
            conf={"letter_ids": sorted(letter_ids)},
            note=f"replay of {len(letter_ids)} dead letter(s), from the Syncs view",
        )
    except DagNotFound:
        raise TriggerError(
            f"the DAG {dag_id} is not in Airflow yet (its DAG file has not been parsed); try again shortly",
            503,
        ) from None
    if run is None:
        raise TriggerError(f"Airflow did not create a run of {dag_id}", 502)
    url = f"{airflow_base_url()}/dags/{quote(dag_id)}/runs/{quote(str(run.run_id))}"
    return TriggeredRun(dag_id, str(run.run_id), url)
