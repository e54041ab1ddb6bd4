"""One login and one describe per system per DAG run, where the tasks of that run share a process.

Each task of a sync DAG needs the two systems: `check_connections` logs in and
describes both, `plan_partitions` (on an initial load) and every
`extract_transform_load` open them again. When Airflow runs a DAG run's tasks
in one process (`airflow dags test`, `dag.test()`), the connectors that
`check_connections` opened (logged in, their describes cached inside them)
are handed to the next task of the same DAG run instead of being closed, and
the last task (`dead_letters`, or whichever task fails) closes them.

Across processes nothing is shared, on purpose. A connector's login is a
session token (a Salesforce session id, an Odoo session cookie): a bearer
secret, valid for hours. Putting it in XCom would show it to everyone who may
read the DAG's XComs in the UI and keep it in the metadata DB; putting it in
the state store would keep a live credential next to the sync data, readable
by the Syncs view's database user. One login per task (two to three per DAG
run) costs a request each; a leaked session costs the org. Describes are not
secret, but a connector in a new process describes again when it first reads
or writes (the field types it translates by), so a describe handed over
through XCom would save no request.

An entry is taken out while a task uses it (a concurrent task of the same run
opens its own), is only handed to the same DAG run, mapping and connections,
and is closed when it has been idle longer than `IDLE_SECONDS`.
"""

from __future__ import annotations

import atexit
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

IDLE_SECONDS = 600.0
_lock = threading.Lock()
_idle: dict[tuple[str, ...], tuple[float, Any]] = {}  # key -> (parked at, open Endpoints)
opened = 0  # connector pairs opened in this process (what the tests count)


def run_key(context: Mapping[str, Any] | None, mapping: Any) -> tuple[str, ...] | None:
    """Whose connectors these are: the DAG run, the mapping file and both connections; None outside
    a DAG run (nothing is shared then)."""
    ti = (context or {}).get("ti") or (context or {}).get("task_instance")
    dag_id, run_id = getattr(ti, "dag_id", None), getattr(ti, "run_id", None) or (context or {}).get("run_id")
    if not dag_id or not run_id:
        return None
    src, tgt = mapping.source, mapping.target
    where = str(Path(mapping.file).resolve())
    return (str(dag_id), str(run_id), where, src.system, src.connection, tgt.system, tgt.connection)


@contextmanager
def endpoints_for(key: tuple[str, ...] | None, connect: Callable[[], Any], *, keep: bool) -> Iterator[Any]:
    """The run's parked connectors, or new ones from `connect()`; parked again afterwards when `keep`
    (and the block did not fail), else closed."""
    global opened  # noqa: PLW0603 - a process-wide counter, read by tests
    _close_idle()
    found = None
    if key is not None:
        with _lock:
            found = _idle.pop(key, None)
    if found is not None:
        endpoints = found[1]
    else:
        endpoints = connect()
        opened += 1
    ok = False
    try:
        yield endpoints
        ok = True
    finally:
        if ok and keep and key is not None:
            with _lock:
                _idle[key] = (time.monotonic(), endpoints)
        else:
            endpoints.close()


def close_run(key: tuple[str, ...] | None) -> None:
    """Close what a DAG run left parked (its last task calls this)."""
    if key is None:
        return
    with _lock:
        found = _idle.pop(key, None)
    if found is not None:
        found[1].close()


def _close_idle(now: float | None = None) -> None:
    now = time.monotonic() if now is None else now
    with _lock:
        stale = [k for k, (parked, _) in _idle.items() if now - parked > IDLE_SECONDS]
        gone = [_idle.pop(k)[1] for k in stale]
    for endpoints in gone:
        endpoints.close()


@atexit.register
def _close_all() -> None:
    _close_idle(now=float("inf"))
