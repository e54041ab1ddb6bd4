"""One logical run per Airflow DAG run: the partitions of an initial load are one run, not four.

The engine records a run row per partition (each partition commits on its
own, so a crash says exactly how far it got), and a failed start writes one
row per attempt. An ops engineer asks "how did Tuesday's run go?", so the
view folds every row of one DAG run into one: counts summed, the worst status
wins, from the first start to the last finish, every error kept. Rows without
an Airflow run (CLI runs) stay runs of their own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

# worst first: the status a folded run shows is the worst of its rows
SEVERITY = ("failed", "partial", "running", "succeeded")


@dataclass(frozen=True)
class RunView:
    id: int  # the newest row of the run
    sync: str
    status: str
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, int]
    error: str | None
    airflow_dag_id: str | None
    airflow_run_id: str | None
    rows: tuple[int, ...] = field(default=())  # every state-store run row folded into this one
    errors: tuple[str, ...] = field(default=())

    @property
    def duration_s(self) -> float | None:
        if self.finished_at is None:
            return None
        return round((self.finished_at - self.started_at).total_seconds(), 1)

    @property
    def partitions(self) -> int:
        return len(self.rows)


def worst(statuses: Iterable[str]) -> str:
    found = set(statuses)
    return next((s for s in SEVERITY if s in found), "succeeded")


def _fold(group: list[RunView]) -> RunView:
    newest = max(group, key=lambda r: r.id)
    counts: dict[str, int] = {}
    for r in group:
        for name, n in r.counts.items():
            counts[name] = counts.get(name, 0) + n
    errors = tuple(
        dict.fromkeys(
            e for r in sorted(group, key=lambda r: r.id) for e in r.errors or ((r.error,) if r.error else ())
        )
    )
    unfinished = any(r.finished_at is None for r in group)
    return RunView(
        id=newest.id,
        sync=newest.sync,
        status=worst(r.status for r in group),
        trigger=newest.trigger,
        started_at=min(r.started_at for r in group),
        finished_at=None if unfinished else max(r.finished_at for r in group if r.finished_at),
        counts=counts,
        error=errors[-1] if errors else None,
        airflow_dag_id=newest.airflow_dag_id,
        airflow_run_id=newest.airflow_run_id,
        rows=tuple(sorted(r.id for r in group)),
        errors=errors,
    )


def logical_runs(rows: Iterable[RunView]) -> list[RunView]:
    """Rows folded per DAG run, newest first."""
    groups: dict[tuple[str, ...], list[RunView]] = {}
    for r in rows:
        key = (r.airflow_dag_id or "", r.airflow_run_id) if r.airflow_run_id else ("row", str(r.id))
        groups.setdefault(key, []).append(r)
    return sorted((_fold(g) for g in groups.values()), key=lambda r: r.id, reverse=True)
