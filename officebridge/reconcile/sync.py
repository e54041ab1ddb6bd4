"""`reconcile_mapping`: reconcile the directional sync of one mapping file, as the CLI and Airflow do.

The mapping is loaded, checked against both live systems and compiled exactly
as for a run (`officebridge.sync.runner.prepared`), so a bad file or a
system that is down fails before anything is recorded.
"""

from __future__ import annotations

from pathlib import Path

from officebridge.reconcile.directional import DirectionalSync
from officebridge.reconcile.repair import DirectionalRepair
from officebridge.reconcile.run import Outcome, ReconcileOptions, reconcile
from officebridge.state import StateStore
from officebridge.sync.runner import prepared


def reconcile_mapping(
    path: str | Path,
    store: StateStore | None = None,
    options: ReconcileOptions | None = None,
    *,
    detail: dict[str, object] | None = None,
) -> Outcome:
    options = options or ReconcileOptions()
    run_options = options.run_options(detail)
    with prepared(path, store, run_options) as run:
        subject = DirectionalSync(run.mapping, run.compiled, run.source, run.target, run.store)
        repairer = DirectionalRepair(run, options.batch) if options.repair else None
        return reconcile(subject, run.store, options, repairer)
