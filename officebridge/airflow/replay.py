"""The `replay__<sync>` DAG: dead letters replayed by Airflow's workers, not by the API server.

The Syncs view's Replay and Replay-all buttons trigger a run of this DAG with
the ids of the letters in the run's conf (`{"letter_ids": [12, 13]}`); records
never travel through conf or XCom. The one task reads those letters from the
state store, keeps the ones still open and belonging to this sync, reads their
records again from the source and pushes them through the sync, exactly as
`officebridge dead-letters replay` does. So a replay gets what every other
task gets: a worker slot, a task log, retries with backoff on transient faults,
and secrets masked in its log.

Why a DAG of its own rather than a `replay` param on `sync__<sync>`: the sync
DAG starts paused, runs on a schedule and one run at a time, so a replay there
would wait behind (or hold up) a long load, and its grid would mix loads with
repairs. `replay__<sync>` has no schedule and is unpaused when first parsed, so
a button press runs at once, and its grid is the history of repairs.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from officebridge.airflow.dags import DEFAULT_ARGS, START, shared_task

log = logging.getLogger(__name__)
PREFIX = "replay__"


def dag_id_of(sync: str) -> str:
    return f"{PREFIX}{sync}"


def run_replay(mapping_path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    """The task's callable, at module level so that the built DAG pickles (the parse cache keeps it)."""
    from airflow.sdk import get_current_context  # noqa: PLC0415

    ids = [int(i) for i in (params or {}).get("letter_ids") or []]
    return replay_letters(mapping_path, ids, get_current_context())


def build_replay_dag(mapping: Any) -> Any:
    from airflow.sdk import DAG, Param  # noqa: PLC0415

    path = str(mapping.file)
    with DAG(
        dag_id=dag_id_of(mapping.name),
        description=f"Replay dead letters of {mapping.name} (triggered from the Syncs view)",
        doc_md=(
            f"Replays dead letters of `sync__{mapping.name}`: trigger it from the **Syncs** view "
            '(Replay, Replay all), or with conf `{"letter_ids": [1, 2]}`. Only ids travel; the '
            "records are read again from the source."
        ),
        schedule=None,
        start_date=START,
        catchup=False,
        is_paused_upon_creation=False,
        max_active_runs=1,
        tags=sorted({"officebridge", "replay", *mapping.tags}),
        default_args={**DEFAULT_ARGS, "owner": mapping.owner or "officebridge"},
        params={
            "letter_ids": Param(
                [], type="array", items={"type": "integer"}, description="Ids of the dead letters to replay."
            )
        },
    ) as dag:
        shared_task(run_replay, "replay_dead_letters")(path)
    return dag


def replay_letters(
    mapping_path: str, ids: Sequence[int], context: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Replay the open letters among `ids` of this mapping's sync; fail (no retry) if records still fail."""
    from airflow.sdk.exceptions import AirflowFailException  # noqa: PLC0415

    from officebridge.airflow.tasks import _fail_fast, airflow_detail  # noqa: PLC0415
    from officebridge.mapping import load_mapping  # noqa: PLC0415
    from officebridge.state import StateStore  # noqa: PLC0415
    from officebridge.sync.run import RunOptions  # noqa: PLC0415
    from officebridge.sync.runner import replay  # noqa: PLC0415

    with _fail_fast():
        sync = load_mapping(mapping_path).name
        with StateStore.open() as store:
            letters, skipped = [], []
            for letter_id in ids:
                letter = store.dead_letter(letter_id)
                why = _left_alone(letter, sync)
                if why:
                    skipped.append(f"{letter_id} ({why})")
                elif letter is not None:
                    letters.append(letter)
            if skipped:
                log.info("%s: left alone: dead letter(s) %s", sync, ", ".join(skipped))
            if not letters:
                log.info("%s: nothing to replay", sync)
                return {"sync": sync, "replayed": 0, "still_failing": 0, "missing": [], "run_id": None}
            log.info("%s: replaying %d dead letter(s): %s", sync, len(letters), [d.id for d in letters])
            options = RunOptions(trigger="replay", detail=airflow_detail(context))
            results = replay(store, letters, Path(mapping_path).parent, options)
    replayed = sum(r.replayed for r in results)
    still = sum(r.still_failing for r in results)
    missing = sorted(m for r in results for m in r.missing)
    run_id = results[0].run_id if results else None
    log.info("%s: replayed %d, still failing %d, gone from the source %d (state-store run %s)",
             sync, replayed, still, len(missing), run_id)  # fmt: skip
    if still or missing:
        raise AirflowFailException(
            f"{sync}: {still} record(s) still fail and {len(missing)} no longer exist in the source; "
            f"their dead letters stay open (see them: officebridge dead-letters list --sync {sync})"
        )
    return {"sync": sync, "replayed": replayed, "still_failing": still, "missing": missing, "run_id": run_id}


def _left_alone(letter: Any, sync: str) -> str | None:
    """Why a letter named in the conf is not replayed (someone acted first, or a wrong id), or None."""
    if letter is None:
        return "does not exist"
    if letter.sync != sync:
        return f"belongs to {letter.sync}"
    return None if letter.status == "open" else f"already {letter.status}"
