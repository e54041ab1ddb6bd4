"""`reconcile_pair`: reconcile the two sides of one two-way mapping file, as the CLI does.

The file is loaded, checked against both live systems and compiled exactly as
for a pair run (`officebridge.pair.runner.prepared_pair`), so a bad file or a
system that is down fails before anything is recorded. The counts are stored
under the pair's name (kind `pair`), beside those of directional syncs.
"""

from __future__ import annotations

from pathlib import Path

from officebridge.reconcile.pair import PairSubject, check_pair
from officebridge.reconcile.pair_repair import PairRepair
from officebridge.reconcile.run import Outcome, ReconcileOptions, reconcile
from officebridge.state import StateStore


def reconcile_pair(
    path: str | Path,
    store: StateStore | None = None,
    options: ReconcileOptions | None = None,
    *,
    detail: dict[str, object] | None = None,
) -> Outcome:
    from officebridge.pair.runner import prepared_pair  # noqa: PLC0415 - the pair package imports the engine

    options = options or ReconcileOptions()
    run_options = options.run_options(detail)
    with prepared_pair(path, store, run_options) as (forward, backward):
        subject = PairSubject(
            forward.pair, forward.compiled, backward.compiled, forward.source, backward.source, forward.store
        )
        repairer = PairRepair(subject, forward, backward, options.batch) if options.repair else None
        return reconcile(
            subject,
            forward.store,
            options,
            repairer,
            checker=lambda scratch, beat: check_pair(subject, scratch, batch=options.batch, beat=beat),
        )
