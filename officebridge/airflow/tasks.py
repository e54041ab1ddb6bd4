"""What the tasks of a sync DAG do, as plain functions of a mapping file.

Records never travel through XCom: each task reads from the source, writes to
the target and records in the state store itself; XCom carries only small
metadata (partition windows, run ids, counts). Every function imports the
engine lazily, so a DAG file that refers to them stays cheap to parse.

Errors are translated once, here: a broken mapping, a missing connection or
refused credentials fail the task at once (retrying cannot help); anything
else (a timeout, a 503, a lock still held) raises as is and Airflow retries
it with exponential backoff.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

log = logging.getLogger(__name__)
Context = Mapping[str, Any] | None  # Airflow's task context, or None outside Airflow


def airflow_detail(context: Context) -> dict[str, Any]:
    """What a run records about the Airflow run that started it (the Syncs view links to it)."""
    if not context:
        return {}
    ti = context.get("ti") or context.get("task_instance")
    detail = {
        "airflow_dag_id": getattr(ti, "dag_id", None),
        "airflow_run_id": getattr(ti, "run_id", None) or context.get("run_id"),
        "airflow_task_id": getattr(ti, "task_id", None),
        "airflow_map_index": getattr(ti, "map_index", None),
        "airflow_try_number": getattr(ti, "try_number", None),
    }
    return {k: v for k, v in detail.items() if v is not None}


@contextmanager
def _fail_fast() -> Iterator[None]:
    from officebridge.airflow.failure import airflow_failures  # noqa: PLC0415 - the one mapping

    with airflow_failures():
        yield


@contextmanager
def _prepared(mapping_path: str, context: Context) -> Iterator[Any]:
    """`officebridge.sync.runner.prepared`, on the connectors this DAG run already opened in this
    process, if any (`officebridge.airflow.session`); failures translated for Airflow."""
    from officebridge.airflow import session  # noqa: PLC0415
    from officebridge.sync.run import RunOptions  # noqa: PLC0415
    from officebridge.sync.runner import connect, prepared  # noqa: PLC0415

    def shared(mapping: Any) -> AbstractContextManager[Any]:
        key = session.run_key(context, mapping)
        return session.endpoints_for(key, lambda: connect(mapping, check=False), keep=True)

    options = RunOptions(trigger="airflow", detail=airflow_detail(context))
    with _fail_fast(), prepared(mapping_path, None, options, endpoints=shared) as run:
        yield run


def check_connections(mapping_path: str, context: Context = None) -> dict[str, str]:
    """Log in to both systems and check the mapping's field names against them; nothing is written.

    A failure here is recorded as a failed run (with the reason) in the state store.
    """
    from officebridge.airflow import session  # noqa: PLC0415
    from officebridge.airflow.health import recorded  # noqa: PLC0415
    from officebridge.mapping import load_mapping  # noqa: PLC0415
    from officebridge.sync.runner import connect  # noqa: PLC0415

    with recorded(mapping_path, "check_connections", airflow_detail(context)), _fail_fast():
        mapping = load_mapping(mapping_path)
        _log_connection_sources(mapping)
        key = session.run_key(context, mapping)  # the next tasks of this DAG run may reuse the logins
        with session.endpoints_for(key, lambda: connect(mapping), keep=True) as endpoints:
            load_mapping(mapping_path, describe=endpoints.describe)
    src, tgt = mapping.source, mapping.target
    source, target = f"{src.system}:{src.object}", f"{tgt.system}:{tgt.object}"
    log.info("%s: %s -> %s: both systems answer, field names check out", mapping.name, source, target)
    return {"sync": mapping.name, "source": source, "target": target}


def _log_connection_sources(mapping: Any) -> None:
    """One line per connection saying where Airflow found it: an ops engineer changing one in the
    Connections page sees here whether that is the one used (an AIRFLOW_CONN_* variable wins)."""
    from officebridge.connections import resolve_connection  # noqa: PLC0415

    for role, side in (("source", mapping.source), ("target", mapping.target)):
        found = resolve_connection(side.connection)
        log.info("%s connection %r (%s) comes from %s", role, side.connection, side.system, found.source)


def plan(mapping_path: str, partitions: int, context: Context = None) -> list[dict[str, Any]]:
    """Cursor windows for an initial load, or one incremental run; one mapped task each.

    An ordinary run (a watermark stored, one partition, a token cursor) is planned from the
    mapping, the connector's manifest and the state store alone: no login, no describe.
    """
    from officebridge.airflow.health import recorded  # noqa: PLC0415
    from officebridge.connector import manifest  # noqa: PLC0415 - the manifest only, no client import
    from officebridge.mapping import load_mapping  # noqa: PLC0415
    from officebridge.state import StateStore  # noqa: PLC0415
    from officebridge.sync.partitions import INCREMENTAL, plainly_incremental, plan_partitions  # noqa: PLC0415

    with recorded(mapping_path, "plan_partitions", airflow_detail(context)):
        with _fail_fast():
            mapping = load_mapping(mapping_path)
            cursor = manifest(mapping.source.system).capabilities.cursor
        with StateStore.open() as store:
            plain = plainly_incremental(store, mapping.name, partitions, cursor)
        if plain:
            parts = [INCREMENTAL]
        else:
            with _prepared(mapping_path, context) as run:
                parts = plan_partitions(run, partitions)
    log.info("%s: %d partition(s): %s", mapping.name, len(parts), [p.as_dict() for p in parts])
    return [p.as_dict() for p in parts]


def load(mapping_path: str, partition: Mapping[str, Any], context: Context = None) -> dict[str, Any]:
    """Extract, transform and load one partition (or the incremental run); returns its run id and counts."""
    from officebridge.sync.partitions import Partition, run_partition  # noqa: PLC0415

    part = Partition.from_dict(dict(partition))
    with _prepared(mapping_path, context) as run:
        result = run_partition(run, part)
    log.info(
        "%s partition %d/%d: %s %s", result.sync, part.index + 1, part.count, result.status, result.counts
    )
    return {
        "run_id": result.run_id,
        "status": result.status,
        "counts": result.counts.as_dict(),
        "partitioned": not part.incremental,
    }


def finish(
    mapping_path: str, results: Sequence[Mapping[str, Any]], context: Context = None
) -> dict[str, Any]:
    """Set the watermark once, after every partition of an initial load succeeded; the DAG run is done
    with the systems, so the connectors its tasks shared in this process are closed."""
    from officebridge.airflow import session  # noqa: PLC0415
    from officebridge.mapping import load_mapping  # noqa: PLC0415
    from officebridge.state import StateStore  # noqa: PLC0415
    from officebridge.sync.partitions import finish_partitions  # noqa: PLC0415

    with _fail_fast():
        mapping = load_mapping(mapping_path)
        session.close_run(session.run_key(context, mapping))
        sync = mapping.name
    partitioned = [r["run_id"] for r in results if r.get("partitioned")]
    with StateStore.open() as store:
        mark = finish_partitions(store, sync, partitioned) if partitioned else store.watermark(sync)
    shown = mark if isinstance(mark, str) or mark is None else mark.isoformat()
    return {"sync": sync, "watermark": shown, "partitions": len(results)}


def report(results: Sequence[Mapping[str, Any]], finished: Mapping[str, Any]) -> dict[str, Any]:
    """The run's counts in the task log, and a small summary as the task's return value."""
    from officebridge.sync.counts import OUTCOMES  # noqa: PLC0415

    totals = {name: sum(int(r["counts"].get(name, 0)) for r in results) for name in OUTCOMES}
    statuses = sorted({str(r["status"]) for r in results})
    log.info(
        "%s: %s; %s; watermark %s; state-store runs %s",
        finished["sync"],
        ", ".join(statuses),
        ", ".join(f"{k} {v}" for k, v in totals.items()),
        finished["watermark"],
        [r["run_id"] for r in results],
    )
    return {**finished, "counts": totals, "runs": [r["run_id"] for r in results], "statuses": statuses}
