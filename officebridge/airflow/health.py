"""Make Airflow tell the same truth as the Syncs view: a run with dead letters is not green.

Why a failing `dead_letters` task, rather than a distinct end state? Airflow
users read health from task and DAG run states: the DAG list, the grid, the
run's colour, `on_failure_callback` alerts, `airflow dags list-runs` and the
REST API all speak "failed" / "success". A run that wrote every good record
but left some records as dead letters has done its writes (so the Asset is
still published by `report`, and downstream syncs still run), yet someone must
act; a last task that fails without retrying (retrying cannot fix a record)
turns the DAG run red, and its log says how many records failed, why to look,
and where (the Syncs view of that sync, and the CLI command).

And a run that never got going (refused login, host down, broken connection)
fails before the engine opens its run row; `record_failure` writes a failed
run with the reason into the state store, so the Syncs view, which reads the
store, shows it instead of the last success.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
VIEW_PATH = "/officebridge/syncs/"


def syncs_view_url(sync: str) -> str:
    """The Syncs view page of one sync, from Airflow's own `[api] base_url`."""
    base = os.environ.get("AIRFLOW__API__BASE_URL")
    if not base:
        try:
            from airflow.configuration import conf  # noqa: PLC0415 - only inside Airflow

            base = conf.get("api", "base_url", fallback="") or ""
        except Exception:
            base = ""
    return f"{base.rstrip('/')}{VIEW_PATH}{sync}"


def dead_letter_message(sync: str, failed: int, statuses: list[str]) -> str | None:
    """The reason this run is not healthy, or None when it is."""
    bad = [s for s in statuses if s not in ("succeeded",)]
    if not failed and not bad:
        return None
    return (
        f"{sync}: {failed} record(s) of this run became dead letters (run status {', '.join(statuses)}). "
        f"The other records were written. See them at {syncs_view_url(sync)} "
        f"or with: officebridge dead-letters list --sync {sync} ; "
        f"fix the cause, then replay them there or with: officebridge dead-letters replay --sync {sync}"
    )


def check_dead_letters(summary: Mapping[str, Any]) -> dict[str, Any]:
    """Fail the task (no retry: a retry cannot fix a record) when the run left dead letters."""
    from airflow.sdk.exceptions import AirflowFailException  # noqa: PLC0415

    sync = str(summary["sync"])
    failed = int(summary.get("counts", {}).get("failed", 0))
    message = dead_letter_message(sync, failed, list(summary.get("statuses", [])))
    if message:
        raise AirflowFailException(message)
    log.info("%s: no dead letters in this run (%s)", sync, syncs_view_url(sync))
    return {"sync": sync, "failed": 0}


def _sync_name(mapping_path: str) -> str:
    try:
        from officebridge.mapping import load_mapping  # noqa: PLC0415

        return load_mapping(mapping_path).name
    except Exception:
        return Path(mapping_path).stem


def record_failure(mapping_path: str, stage: str, detail: Mapping[str, Any], exc: BaseException) -> None:
    """A failed run row with the reason, for a run that failed before the engine recorded anything."""
    from officebridge.secrets import redact  # noqa: PLC0415
    from officebridge.state import StateStore  # noqa: PLC0415

    reason = redact(f"{stage}: {type(exc).__name__}: {exc}")
    try:
        with StateStore.open() as store:
            run_id = store.start_run(
                _sync_name(mapping_path), trigger="airflow", detail={**detail, "stage": stage}
            )
            store.finish_run(run_id, status="failed", error=reason)
    except Exception as store_exc:
        log.warning("could not record the failed start in the state store: %s", redact(str(store_exc)))


@contextmanager
def recorded(mapping_path: str, stage: str, detail: Mapping[str, Any]) -> Iterator[None]:
    """Record any failure of the block as a failed run, then let it fail the task as before."""
    try:
        yield
    except Exception as exc:
        record_failure(mapping_path, stage, detail, exc)
        raise
