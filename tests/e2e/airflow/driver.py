"""Runs Airflow in a child process and prints what happened as JSON.

Airflow reads its configuration (AIRFLOW_HOME, the metadata DB) once, when it
is first imported; a child process per scenario gets the test's own throw-away
home and database and leaves the test process untouched.

    python -m tests.e2e.airflow.driver dagbag <dags folder>
    python -m tests.e2e.airflow.driver dagbags - '<[["dags folder", {env}], ...]>'
    python -m tests.e2e.airflow.driver test <dags folder> '<[["dag_id", {conf}, {env}], ...]>'

Building Airflow's in-process execution API costs ten to twenty seconds per
process, so a test runs all its DAG runs in one child; each run may set
environment variables first (another state store, say).
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

HEAVY = ("connectors", "pandas", "great_expectations", "simple_salesforce", "odoorpc", "requests_toolbelt")


# Connector manifests (capabilities, connection contract, wire formats) are light by contract and are
# read at parse time; anything else under connectors/ (a connector, a client library) is a regression.
def _is_manifest(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "connectors" and (len(parts) <= 2 or parts[2:] == ["manifest"])


def _dag_info(dag: Any) -> dict[str, Any]:
    first = dag.tasks[0]
    report = dag.get_task("report") if dag.has_task("report") else None  # a replay__ DAG has none
    return {
        "schedule": str(getattr(dag, "schedule", None)),
        "timetable": type(dag.timetable).__name__,
        "owner": dag.owner,
        "tags": sorted(dag.tags),
        "description": dag.description,
        "doc_md": dag.doc_md,
        "max_active_runs": dag.max_active_runs,
        "retries": first.retries,
        "retry_exponential_backoff": first.retry_exponential_backoff,
        "tasks": {t.task_id: sorted(t.downstream_task_ids) for t in dag.tasks},
        "paused_at_creation": getattr(dag, "is_paused_upon_creation", None),
        "params": sorted(dag.params.keys()) if getattr(dag, "params", None) is not None else [],
        "outlets": [getattr(o, "uri", str(o)) for o in report.outlets] if report else [],
        "fileloc": dag.fileloc,
    }


def dagbag(folder: str) -> dict[str, Any]:
    started = time.perf_counter()
    from airflow.dag_processing.dagbag import DagBag  # noqa: PLC0415

    imported = time.perf_counter()
    bag = DagBag(folder)
    parsed = time.perf_counter()
    return {
        "dags": {dag_id: _dag_info(dag) for dag_id, dag in bag.dags.items()},
        "import_errors": bag.import_errors,
        "heavy_modules": sorted(m for m in sys.modules if m.split(".")[0] in HEAVY and not _is_manifest(m)),
        "seconds_import": imported - started,
        "seconds_parse": parsed - imported,
    }


def test(folder: str, plan: list[tuple[str, dict[str, Any], dict[str, str]]]) -> list[dict[str, Any]]:
    from airflow.dag_processing.dagbag import DagBag  # noqa: PLC0415

    bag = DagBag(folder)
    if bag.import_errors:
        raise SystemExit(f"import errors: {bag.import_errors}")
    out = []
    for dag_id, conf, env in plan:
        os.environ.update(env)
        started = time.perf_counter()
        run = bag.dags[dag_id].test(run_conf=conf)
        states, timing = {}, {}
        for ti in run.get_task_instances():
            key = ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"
            states[key] = str(ti.state)
            if ti.start_date and ti.end_date:
                timing[key] = [ti.start_date.isoformat(), (ti.end_date - ti.start_date).total_seconds()]
        out.append(
            {"dag_id": dag_id, "run_id": run.run_id, "state": str(run.state), "tasks": states,
             "timing": timing, "seconds": time.perf_counter() - started}
        )  # fmt: skip
    return out


def _hook_info(hook: Any) -> dict[str, Any]:
    return {
        "class": hook.hook_class_name,
        "name": hook.hook_name,
        "conn_id_attr": hook.connection_id_attribute_name,
        "testable": hook.connection_testable,
    }


def connections(conn_ids: list[str]) -> dict[str, Any]:
    """What the provider registry knows about `odoo`, and each connection as officebridge resolves it."""
    from airflow.providers_manager import ProvidersManager  # noqa: PLC0415

    from connectors.odoo.airflow import OdooHook  # noqa: PLC0415
    from officebridge.connections import resolve_connection  # noqa: PLC0415

    pm = ProvidersManager()
    hook = pm.hooks.get("odoo")
    resolved = {}
    for conn_id in conn_ids:
        conn = resolve_connection(conn_id)
        resolved[conn_id] = {"conn_type": conn.conn_type, "host": conn.host, "port": conn.port,
                             "login": conn.login, "schema": conn.schema, "extra": conn.extra,
                             "password_set": bool(conn.password), "repr": repr(conn)}  # fmt: skip
    return {
        "providers": sorted(pm.providers),
        "hook": None if hook is None else _hook_info(hook),
        "fields": sorted(k for k in pm.connection_form_widgets if k.startswith("extra__odoo__")),
        "behaviour": pm.field_behaviours.get("odoo"),
        "resolved": resolved,
        "test": {conn_id: OdooHook(conn_id).test_connection() for conn_id in conn_ids},
    }


def main(argv: list[str]) -> None:
    command, folder, *rest = argv
    if command == "dagbag":
        result: Any = dagbag(folder)
    elif command == "dagbags":  # several folders, each with its environment, in one process
        result = []
        for path, env in json.loads(rest[0]):
            os.environ.update(env)
            result.append(dagbag(path))
    elif command == "connections":
        result = connections(json.loads(rest[0]))
    elif command == "test":
        result = test(folder, [(d, c, e) for d, c, e in json.loads(rest[0])])
    else:
        raise SystemExit(f"unknown command {command!r}")
    print("@@RESULT@@" + json.dumps(result, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
