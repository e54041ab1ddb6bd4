"""`officebridge reconcile MAPPING_FILE`: compare a sync's two systems and say what is out of step.

Exit status as for `run`: 0 when both sides agree (or `--repair` put them
right), 3 when something out of step was found and is still there, 1 on an
error (bad mapping, a system down). Field names are printed, never values.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from officebridge.cli import EXIT_DEAD_LETTERS, _errors, _store, err, out


def _lines(outcome: Any) -> list[str]:
    row = outcome.reconciliation
    c = row.counts
    lines = [
        f"{row.sync}: {row.status} (reconciliation {row.id})",
        f"checked={c['checked']} linked={c['linked']} missing={c['missing']} broken={c['broken']} "
        f"extra={c['extra']} drifted={c['drifted']} unreadable={c['unreadable']}",
    ]
    if outcome.found.fields:
        lines.append(
            "drifted fields: " + ", ".join(f"{k}={v}" for k, v in sorted(outcome.found.fields.items()))
        )
    if outcome.repair is not None:
        lines.append(f"repaired: {outcome.repair.written} record(s) written (run {outcome.repair.run_id})")
    if outcome.remaining is not None:
        r = outcome.remaining.as_counts()
        lines.append(f"after the repair: missing={r['missing']} broken={r['broken']} extra={r['extra']} "
                     f"drifted={r['drifted']}")  # fmt: skip
    lines.append(f"report: {outcome.reports.get('html', '')}")
    return lines


@click.command("reconcile")
@click.argument("mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--repair", is_flag=True, help="Write what is missing or drifted through the sync, then check again."
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON (for scripts).")
@click.option(
    "--report-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where the HTML and JSON reports go [default: $OFFICEBRIDGE_HOME/reports].",
)
@click.option(
    "--batch",
    default=500,
    show_default=True,
    type=click.IntRange(min=1),
    help="Records per page on each side.",
)
@click.pass_context
def reconcile(ctx: click.Context, /, mapping: Path, **flags: Any) -> None:
    """Compare the source in scope with the target record by record: missing, broken, extra, drifted."""
    from officebridge.pair.loader import is_pair_file  # noqa: PLC0415
    from officebridge.reconcile.pair_run import reconcile_pair  # noqa: PLC0415
    from officebridge.reconcile.run import ReconcileOptions  # noqa: PLC0415 - keep `--help` fast
    from officebridge.reconcile.sync import reconcile_mapping  # noqa: PLC0415

    with _errors():
        store = _store(ctx)
        options = ReconcileOptions(
            repair=flags["repair"], report_dir=flags["report_dir"], batch=flags["batch"]
        )
        if is_pair_file(mapping):  # a two-way file: both sides compared, each against the other
            outcome = reconcile_pair(mapping, store, options)
        else:
            outcome = reconcile_mapping(mapping, store, options)
    if flags["as_json"]:
        row = outcome.reconciliation
        payload = {
            "sync": row.sync,
            "reconciliation_id": row.id,
            "status": row.status,
            "counts": row.counts,
            "drifted_fields": dict(sorted(outcome.found.fields.items())),
            "remaining": outcome.remaining.as_counts() if outcome.remaining else None,
            "repair": outcome.repair.as_dict() if outcome.repair else None,
            "reports": outcome.reports,
        }
        out.print(json.dumps(payload, default=str), markup=False, soft_wrap=True)
    else:
        for line in _lines(outcome):
            out.print(line, markup=False, soft_wrap=True)
    if outcome.out_of_step:
        err.print("out of step; see the report, or put it right with --repair", soft_wrap=True)
        sys.exit(EXIT_DEAD_LETTERS)
