"""`officebridge erase`: remove or anonymise one person everywhere, and forget them in officebridge.

What is printed names systems, objects, record ids and actions, never the
person's values. Exit status: 0 when everything declared was done (also when
nobody was found: asking twice must succeed), 1 on bad input or when a record
could not be erased (run the same command again once the cause is fixed).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from officebridge import settings
from officebridge.cli import EXIT_ERROR, _errors, _fail, _store, err, out

_DONE = {"delete": "deleted", "anonymise": "anonymised", "keep": "kept"}
_WOULD = {"delete": "would delete", "anonymise": "would anonymise", "keep": "would keep"}


@click.command("erase")
@click.option("--email", help="The person's email address (found through each mapping's erasure.identify).")
@click.option(
    "--record", "record", metavar="SYNC:SOURCE_ID", help="The person's record, as a sync's source id."
)
@click.option(
    "--mappings",
    "mappings_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the mapping files [default: ./mappings or $OFFICEBRIDGE_MAPPINGS].",
)
@click.option("--dry-run", is_flag=True, help="Show what would be erased; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON (ids and actions only).")
@click.pass_context
def erase_command(  # noqa: PLR0917 - one parameter per option, as click passes them
    ctx: click.Context,
    email: str | None,
    record: str | None,
    mappings_dir: Path | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Erase one person in every linked system, per each mapping's `erasure:` policy."""
    from officebridge.erasure.run import EraseRequest, erase  # noqa: PLC0415 - keep `--help` fast

    if (email is None) == (record is None):
        _fail("give exactly one of --email ADDRESS or --record SYNC:SOURCE_ID")
    folder = mappings_dir or settings.mappings_dir()
    if not folder.is_dir():
        _fail(f"--mappings {folder}: no such folder")
    request = EraseRequest(email=email, record=record, mappings_dir=folder, dry_run=dry_run)
    with _errors():
        store = _store(ctx)
        try:
            outcome = erase(request, store)
        finally:
            store.close()
    if as_json:
        out.print(json.dumps(outcome.as_dict(), default=str), markup=False, soft_wrap=True)
    else:
        _print(outcome)
    if not outcome.ok:
        sys.exit(EXIT_ERROR)


def _print(outcome: Any) -> None:
    plan, dry = outcome.plan, outcome.request.dry_run
    words = _WOULD if dry else _DONE
    if not plan.steps:
        where = ", ".join(plan.searched) or "the given sync"
        out.print(
            f"nobody found (searched {where}); nothing to erase in the systems", markup=False, soft_wrap=True
        )
    for step in plan.steps:
        if step.status == "gone":
            what = "already gone"
        elif step.status in ("done", "kept", "planned"):
            what = words[step.action] + (f" ({', '.join(sorted(step.values))})" if step.values else "")
        else:
            what = f"{step.status}: {step.action} not done: {step.message}"
        via = "; ".join(f"{role} of {sync}" for sync, role in step.roles)
        out.print(f"{step.record}: {what} [{via}]", markup=False, soft_wrap=True)
    f = outcome.forgotten
    rows = sum(f.rows.values())
    verb = "would forget" if dry else "forgot"
    if f.anything:
        tables = ", ".join(f"{n} in {t}" for t, n in sorted(f.rows.items()))
        out.print(
            f"officebridge: {verb} {f.links} link(s), {f.dead_letters} dead letter(s); "
            f"{rows} stored row(s) {'would be' if dry else ''} scrubbed{f' ({tables})' if tables else ''}; "
            f"{len(f.files)} report file(s)",
            markup=False,
            soft_wrap=True,
        )
    else:
        out.print("officebridge: nothing of this person is left in the state store or reports", markup=False)
    for warning in f.warnings:
        err.print(f"warning: {warning}", markup=False, soft_wrap=True)
    if not dry:
        out.print(
            f"erasure {outcome.id} logged in {settings.home() / 'erasure' / 'erasures.jsonl'}",
            markup=False,
            soft_wrap=True,
        )
    if not outcome.ok:
        err.print("some records were not erased; fix the cause and run the same command again", markup=False)
