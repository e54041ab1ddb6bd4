"""`officebridge conflicts`: list and resolve the manual conflicts of two-way syncs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from officebridge import settings
from officebridge.cli.output import emit


def _value(text: str) -> Any:
    """A value as typed: JSON when it parses (42, true, null, "x"), else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


@click.group("conflicts")
def conflicts() -> None:
    """Fields changed on both sides of a two-way sync, waiting for a person to choose."""


@conflicts.command("list")
@click.option("--pair", help="Only this two-way sync.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON (for scripts).")
@click.pass_context
def conflicts_list(ctx: click.Context, pair: str | None, as_json: bool) -> None:
    """Open conflicts, newest first: the pair, both record ids, each field's two versions and base."""
    from officebridge.cli import _errors, _store, out  # noqa: PLC0415

    with _errors():
        store = _store(ctx)
        letters = store.dead_letters(pair, limit=1000, stage="conflict")
    rows = [
        {
            "id": d.id,
            "pair": d.payload.get("pair"),
            "a_id": d.payload.get("a_id"),
            "b_id": d.payload.get("b_id"),
            "fields": d.payload.get("fields", {}),
            "seen": d.attempts,
            "updated_at": d.updated_at.isoformat(),
        }
        for d in letters
    ]
    if as_json:
        emit(out, rows, [], as_json=True)
        return
    if not rows:
        out.print("no open conflicts", markup=False)
        return
    for row in rows:
        out.print(
            f"#{row['id']} {row['pair']}: a {row['a_id']} <-> b {row['b_id']}", markup=False, soft_wrap=True
        )
        for name, versions in row["fields"].items():
            out.print(
                f"  {name}: a={versions.get('a')!r} b={versions.get('b')!r} "
                f"(last synced: a={versions.get('base_a')!r} b={versions.get('base_b')!r})",
                markup=False,
                soft_wrap=True,
            )
    out.print("resolve one with: officebridge conflicts resolve ID --take a|b", markup=False)


@conflicts.command("resolve")
@click.argument("letter_id", type=int)
@click.option("--take", type=click.Choice(["a", "b"]), help="Keep this side's version on both sides.")
@click.option(
    "--value", "values", multiple=True, metavar="FIELD=VALUE", help="Set this value (side a's form)."
)
@click.option(
    "--mappings",
    "mappings_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the mapping files [default: $OFFICEBRIDGE_MAPPINGS or ./mappings].",
)
@click.pass_context
def conflicts_resolve(
    ctx: click.Context, letter_id: int, take: str | None, values: tuple[str, ...], mappings_dir: Path | None
) -> None:
    """Write the chosen version to both systems and close the conflict (recorded in its letter)."""
    from officebridge.cli import _errors, _fail, _store, out  # noqa: PLC0415
    from officebridge.pair.resolve import resolve  # noqa: PLC0415

    given: dict[str, Any] = {}
    for item in values:
        name, sep, text = item.partition("=")
        if not sep or not name:
            _fail(f"--value takes FIELD=VALUE, not {item!r}")
        given[name] = _value(text)
    with _errors():
        store = _store(ctx)
        done = resolve(
            store,
            letter_id,
            take=take,  # type: ignore[arg-type]
            values=given or None,
            mappings_dir=mappings_dir or settings.mappings_dir(),
        )
    sides = " and ".join(done.written) or "neither side (they already agreed)"
    out.print(f"conflict {done.letter} of {done.pair} resolved ({done.took}); wrote {sides}", markup=False)
    for name, versions in done.fields.items():
        out.print(f"  {name}: a={versions.get('a')!r} b={versions.get('b')!r}", markup=False, soft_wrap=True)
