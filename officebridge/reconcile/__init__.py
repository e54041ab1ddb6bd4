"""Reconciliation: compare both systems of a sync directly, over its whole scope; count what is out of step.

`officebridge reconcile MAPPING_FILE` (and the `reconcile__<sync>` Airflow
DAG) reads the source in scope and the target by the linked ids, page by
page, and finds records missing in the target, links to target records that
are gone, links whose source is gone, and linked records whose fields
drifted. It never trusts a run's counters. `--repair` puts them right through
the sync's normal write path and checks again.

Modules: `subject` (what a sync or pair must answer), `directional` (the
directional sync as a subject), `check` (the two streamed passes), `normal`
(values in comparable form), `scratch` (ids on disk), `findings`, `report`,
`repair`, `run` (one reconciliation), `sync` (from a mapping file), `dag`.
"""

from __future__ import annotations
