"""`officebridge`: validate, preview and run mappings; inspect and repair syncs.

Exit status: 0 when everything went through, 1 on an error (bad mapping, system
down, run failed), 3 when a run finished but some records became dead letters.
Colours and the progress bar appear only on a terminal.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from officebridge import settings
from officebridge.cli.output import emit
from officebridge.errors import MappingError, OfficeBridgeError
from officebridge.secrets import RedactingFilter, redact

EXIT_ERROR, EXIT_DEAD_LETTERS = 1, 3
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING - 10 * verbose
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=max(level, logging.DEBUG), handlers=[handler], force=True)


def _fail(message: str, code: int = EXIT_ERROR) -> None:
    err.print(f"[bold red]error:[/] {escape(redact(message))}", markup=True, soft_wrap=True)
    sys.exit(code)


@contextmanager
def _errors() -> Iterator[None]:
    """Turn officebridge errors into one clear message and a non-zero exit."""
    try:
        yield
    except MappingError as exc:
        for problem in exc.problems:
            err.print(f"[red]{escape(redact(str(problem)))}[/]", markup=True, soft_wrap=True)
        _fail(f"{len(exc.problems)} problem(s) found")
    except OfficeBridgeError as exc:
        _fail(f"{type(exc).__name__}: {exc}")


def _store(ctx: click.Context) -> Any:
    from officebridge.state import StateStore  # noqa: PLC0415 - keep `--help` fast

    return StateStore.open(ctx.obj["state_url"])


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--state-url",
    envvar="OFFICEBRIDGE_STATE_URL",
    help="SQLAlchemy URL of the state store [default: sqlite:///$OFFICEBRIDGE_HOME/state.db].",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def main(ctx: click.Context, state_url: str | None, verbose: int) -> None:
    """Keep front-office and back-office records in step, one YAML mapping per sync."""
    _setup_logging(verbose)
    ctx.obj = {"state_url": state_url}


# --- mappings -----------------------------------------------------------------


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--offline",
    is_flag=True,
    help="Check the files only, without asking the systems; objects, field names and types stay unchecked.",
)
@click.option("--no-describe", "offline", is_flag=True, hidden=True)  # the old name of --offline
def validate(paths: tuple[Path, ...], offline: bool) -> None:
    """Check mapping files (default: every file in mappings/) against the live systems; report every problem.

    Exits non-zero when a system could not be asked (undefined connection, host
    down, refused login) unless --offline says that is acceptable.
    """
    from officebridge.cli.live import LiveDescriber  # noqa: PLC0415
    from officebridge.mapping.loader import sync_names  # noqa: PLC0415

    files = _mapping_files(paths)
    names = frozenset().union(*(sync_names(f.parent) for f in files), settings_syncs())
    describer = None if offline else LiveDescriber()
    bad = 0
    try:
        for path in files:
            try:
                ends = _checked(path, describer, names)
                if describer is not None and ends & describer.unusable.keys():
                    out.print(f"NOT CHECKED {path}: a system could not be asked (below)", markup=False,
                              soft_wrap=True)  # fmt: skip
                else:
                    note = " (offline: not checked against the systems)" if offline else ""
                    out.print(f"ok   {path}{note}", markup=False, soft_wrap=True)
            except MappingError as exc:
                bad += 1
                for problem in exc.problems:
                    err.print(f"[red]{escape(redact(str(problem)))}[/]", markup=True, soft_wrap=True)
            except OfficeBridgeError as exc:
                bad += 1
                err.print(f"[red]{escape(f'{path}: {redact(str(exc))}')}[/]", markup=True, soft_wrap=True)
    finally:
        if describer is not None:
            describer.close()
    unchecked = describer.could_not_check() if describer is not None else []
    for reason in unchecked:
        err.print(f"[yellow]could not check:[/] {escape(reason)}", markup=True, soft_wrap=True)
    if bad:
        _fail(f"{bad} of {len(files)} mapping file(s) have problems")
    if unchecked:
        _fail("the files were not checked against every system; fix the connection, or give --offline")


def _checked(path: Path, describer: Any, names: frozenset[str]) -> set[tuple[str, str]]:
    """Load and compile one file (directional or two-way); the (system, connection) pairs it uses."""
    from officebridge.mapping import compile_mapping, load_mapping  # noqa: PLC0415
    from officebridge.pair.loader import is_pair_file, load_pair  # noqa: PLC0415

    if is_pair_file(path):
        pair = load_pair(path, describe=describer)
        compile_mapping(pair.a_to_b)
        compile_mapping(pair.b_to_a)
        return {(s.system, s.connection) for s in (pair.a, pair.b)}
    mapping = load_mapping(path, describe=describer, syncs=names)
    compile_mapping(mapping)
    return {(e.system, e.connection) for e in (mapping.source, mapping.target)}


def settings_syncs() -> frozenset[str]:
    """Sync names of the configured mappings folder, so a file checked alone still knows its peers."""
    from officebridge.mapping.loader import sync_names  # noqa: PLC0415

    folder = settings.mappings_dir()
    return sync_names(folder) if folder.is_dir() else frozenset()


def _mapping_files(paths: tuple[Path, ...]) -> list[Path]:
    if not paths:
        paths = (settings.mappings_dir(),)
    files: list[Path] = []
    for path in paths:
        files.extend(sorted([*path.glob("*.y*ml"), *path.glob("pairs/*.y*ml")]) if path.is_dir() else [path])
    if not files:
        _fail("no mapping files found")
    return files


@main.command()
@click.argument("mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--limit", "-n", default=20, show_default=True, help="How many changed source records to show.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as JSON (for scripts).")
@click.pass_context
def preview(ctx: click.Context, mapping: Path, limit: int, as_json: bool) -> None:
    """Show what a run would do with the next changed records. Writes nothing."""
    from officebridge.sync.runner import preview_mapping  # noqa: PLC0415

    with _errors():
        store = _store(ctx)
        result = preview_mapping(mapping, store, limit=limit)
    rows = [
        {
            "source id": p.record.id,
            "action": p.action,
            "target id": p.target_id or "",
            "values / reason": p.reason or (str(p.error) if p.error else p.values),
        }
        for p in result.plans
    ]
    if as_json:
        payload = {"sync": result.sync, "counts": result.counts.as_dict(), "records": rows}
        out.print(redact(json.dumps(payload, default=str, ensure_ascii=False)), markup=False, soft_wrap=True)
        return
    emit(out, rows, ("source id", "action", "target id", "values / reason"),
         title=f"preview of {result.sync} ({len(result.plans)} records)")  # fmt: skip
    out.print(_counts_line(result.counts.as_dict()), markup=False, soft_wrap=True)


def _counts_line(counts: dict[str, int]) -> str:
    return "  ".join(f"{k}={v}" for k, v in counts.items())


@main.command()
@click.argument("mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--overlap", default=300, show_default=True, help="Seconds re-read before the watermark.")
@click.option("--read-batch", default=2000, show_default=True, help="Source records per batch.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON (for scripts).")
@click.pass_context
def run(ctx: click.Context, mapping: Path, overlap: int, read_batch: int, as_json: bool) -> None:
    """Run one sync now: read changes, write them, record the outcome."""
    from datetime import timedelta  # noqa: PLC0415

    from officebridge.cli.progress import progress_bar, source_total  # noqa: PLC0415
    from officebridge.pair.loader import is_pair_file  # noqa: PLC0415
    from officebridge.sync.run import RunOptions  # noqa: PLC0415
    from officebridge.sync.runner import prepared  # noqa: PLC0415

    if is_pair_file(mapping):
        options = RunOptions(overlap=timedelta(seconds=overlap), read_batch=read_batch)
        _run_pair(ctx, mapping, options, as_json)
        return
    with _errors():
        store = _store(ctx)
        options = RunOptions(overlap=timedelta(seconds=overlap), read_batch=read_batch)
        with prepared(mapping, store, options) as sync_run:
            total = source_total(sync_run) if err.is_terminal else None  # no count query when piped
            with progress_bar(sync_run.sync, total) as progress:
                result = sync_run.run(progress)
    if as_json:
        payload = {"sync": result.sync, "run_id": result.run_id, "status": result.status,
                   "seconds": round(result.seconds, 3), "counts": result.counts.as_dict()}  # fmt: skip
        out.print(json.dumps(payload, default=str), markup=False, soft_wrap=True)
    else:
        _print_summary(result)
    if result.counts.failed:
        err.print(f"{result.counts.failed} record(s) became dead letters; see them with:", soft_wrap=True)
        err.print(f"  officebridge dead-letters list --sync {result.sync}", markup=False, soft_wrap=True)
        sys.exit(EXIT_DEAD_LETTERS)


def _run_pair(ctx: click.Context, mapping: Path, options: Any, as_json: bool) -> None:
    """A two-way file: both directions, a summary each; conflicts are counted apart from failures."""
    from officebridge.pair.runner import run_pair  # noqa: PLC0415

    with _errors():
        store = _store(ctx)
        results = run_pair(mapping, store, options)
        pair = results[0].sync.rsplit("__", 1)[0]
        conflicts = store.dead_letters(pair, limit=1000, stage="conflict")
    if as_json:
        payload = [{"sync": r.sync, "run_id": r.run_id, "status": r.status, "seconds": round(r.seconds, 3),
                    "counts": r.counts.as_dict(), "notes": r.notes} for r in results]  # fmt: skip
        out.print(json.dumps({"pair": pair, "runs": payload, "open_conflicts": len(conflicts)}, default=str),
                  markup=False, soft_wrap=True)  # fmt: skip
    else:
        for result in results:
            _print_summary(result)
    failed = sum(r.counts.failed for r in results)
    if conflicts:
        err.print(f"{len(conflicts)} open conflict(s) in {pair}; see and resolve them with:", soft_wrap=True)
        err.print(f"  officebridge conflicts list --pair {pair}", markup=False, soft_wrap=True)
    if failed:
        err.print(f"{failed} record(s) became dead letters; see them with:", soft_wrap=True)
        for r in results:
            if r.counts.failed:
                err.print(f"  officebridge dead-letters list --sync {r.sync}", markup=False, soft_wrap=True)
    if failed or conflicts:
        sys.exit(EXIT_DEAD_LETTERS)


def _print_summary(result: Any) -> None:
    """One line per fact, never cut: `sync: status in 1.2s (run 7)` then `read=741 created=741 ...`."""
    out.print(f"{result.sync}: {result.status} in {result.seconds:.1f}s (run {result.run_id})",
              markup=False, soft_wrap=True)  # fmt: skip
    out.print(_counts_line(result.counts.as_dict()), markup=False, soft_wrap=True)


# --- state ----------------------------------------------------------------------


@main.command()
@click.argument("sync", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON (for scripts).")
@click.pass_context
def status(ctx: click.Context, sync: str | None, as_json: bool) -> None:
    """Last runs, watermarks and open dead letters, per sync."""
    with _errors():
        store = _store(ctx)
        if sync:
            runs = store.runs(sync, limit=10)
            rows = [_run_row(r) for r in runs]
            if as_json:
                out.print(redact(json.dumps(rows, default=str)), markup=False, soft_wrap=True)
                return
            emit(out, rows, ("run", "status", "trigger", "started", "seconds", "changes", "quality", "error"),
                 title=f"last runs of {sync}", numeric=("run", "seconds"))  # fmt: skip
            _print_quality(runs)
            return
        rows = [_sync_row(s) for s in store.syncs()]
        if as_json:
            out.print(redact(json.dumps(rows, default=str)), markup=False, soft_wrap=True)
            return
        columns = ("sync", "last run", "started", "changes", "watermark", "links", "dead letters")
        title = "syncs (officebridge status SYNC for its runs)"
        emit(out, rows, columns, title=title, numeric=("links", "dead letters"))


def _run_row(r: Any) -> dict[str, Any]:
    seconds = (r.finished_at - r.started_at).total_seconds() if r.finished_at else None
    return {
        "run": r.id,
        "status": r.status,
        "trigger": r.trigger,
        "started": f"{r.started_at:%Y-%m-%d %H:%M:%S}",
        "seconds": f"{seconds:.1f}" if seconds is not None else "",
        "changes": _changes(r.counts),
        "counts": dict(r.counts),
        "quality": _quality_line(r.detail),
        "error": r.error or "",
    }


def _sync_row(s: Any) -> dict[str, Any]:
    last = s.last_run
    return {
        "sync": s.sync,
        "last run": f"{last.status} ({last.trigger})" if last else "never run",
        "started": f"{last.started_at:%Y-%m-%d %H:%M:%S}" if last else "",
        "changes": _changes(last.counts) if last else "",
        "counts": dict(last.counts) if last else {},
        "watermark": _watermark(s.watermark),
        "links": s.links,
        "dead letters": s.open_dead_letters,
    }


def _watermark(mark: Any) -> str:
    """A time as UTC; a token cursor's resume token as it is (it is opaque)."""
    if mark is None:
        return "-"
    return mark if isinstance(mark, str) else f"{mark:%Y-%m-%d %H:%M:%S}"


def _changes(counts: dict[str, int]) -> str:
    """Only what happened: 'read 300, updated 3, unchanged 297'."""
    shown = [f"{name} {n}" for name, n in counts.items() if n or name == "read"]
    return ", ".join(shown)


def _quality_line(detail: dict[str, Any]) -> str:
    from officebridge.quality.report import summary  # noqa: PLC0415 - keep `--help` fast

    return summary(detail.get("quality"))


def _print_quality(runs: list[Any]) -> None:
    """The checks of the latest run that had any: per expectation, rows, unexpected, a sample."""
    last = next((r for r in runs if r.detail.get("quality")), None)
    if last is None:
        return
    quality = last.detail["quality"]
    table = Table(title=f"data quality of run {last.id} (on_failure: {quality.get('on_failure') or '-'})")
    for column in ("check", "failed batches", "rows", "unexpected", "sample"):
        table.add_column(column, overflow="fold")
    records = quality.get("records") or {}
    if quality.get("record_schema"):
        messages = "; ".join(f["message"] for f in records.get("sample", [])[:3])
        table.add_row(
            f"record_schema {quality['record_schema']}",
            "",
            str(records.get("checked", 0)),
            str(records.get("failed", 0)),
            messages,
        )
    for e in quality.get("expectations") or []:
        sample = ", ".join(repr(v) for v in e.get("sample") or []) or "; ".join(e.get("errors") or [])
        table.add_row(
            e["label"], f"{e['failed_batches']}/{e['batches']}", str(e["rows"]), str(e["unexpected"]), sample
        )
    out.print(table)
    if quality.get("report"):
        out.print(f"report: {quality['report']}")


@main.group("dead-letters")
def dead_letters() -> None:
    """Records that failed: list, show, replay after a fix, or ignore."""


@dead_letters.command("list")
@click.option("--sync", help="Only this sync.")
@click.option(
    "--status",
    "status_",
    default="open",
    show_default=True,
    type=click.Choice(["open", "replayed", "ignored", "all"]),
)
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON (for scripts).")
@click.pass_context
def dl_list(ctx: click.Context, sync: str | None, status_: str, limit: int, as_json: bool) -> None:
    """List dead letters, one line each (`dead-letters show ID` for the payload)."""
    with _errors():
        letters = _store(ctx).dead_letters(sync, None if status_ == "all" else status_, limit=limit)
    rows = [
        {"id": d.id, "sync": d.sync, "source id": d.source_id, "stage": d.stage, "code": d.error_code,
         "attempts": d.attempts, "status": d.status, "message": d.message}
        for d in letters
    ]  # fmt: skip
    columns = ("id", *(() if sync else ("sync",)), "source id", "stage", "code", "message")
    emit(out, rows, columns, title=f"dead letters ({status_})", as_json=as_json, numeric=("id",))


@dead_letters.command("show")
@click.argument("letter_id", type=int)
@click.pass_context
def dl_show(ctx: click.Context, letter_id: int) -> None:
    """Show one dead letter with its payload."""
    with _errors():
        letter = _store(ctx).dead_letter(letter_id)
    if letter is None:
        _fail(f"no dead letter {letter_id}")
    data = {
        k: getattr(letter, k)
        for k in (
            "id",
            "sync",
            "run_id",
            "source_id",
            "stage",
            "error_code",
            "message",
            "attempts",
            "status",
            "created_at",
            "updated_at",
            "payload",
        )
    }
    out.print_json(redact(json.dumps(data, default=str, ensure_ascii=False)))


@dead_letters.command("replay")
@click.argument("ids", nargs=-1, type=int)
@click.option("--sync", help="Replay every open dead letter of this sync.")
@click.option(
    "--mappings",
    "mappings_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the mapping files [default: ./mappings or $OFFICEBRIDGE_MAPPINGS].",
)
@click.pass_context
def dl_replay(ctx: click.Context, ids: tuple[int, ...], sync: str | None, mappings_dir: Path | None) -> None:
    """Read the failed records again from the source and sync them (after you fixed the cause)."""
    from officebridge.sync.runner import replay  # noqa: PLC0415

    with _errors():
        store = _store(ctx)
        letters = _select_letters(store, ids, sync)
        results = replay(store, letters, mappings_dir or settings.mappings_dir())
    failing = 0
    for r in results:
        failing += r.still_failing
        out.print(
            f"{r.sync}: replayed {r.replayed}, still failing {r.still_failing}"
            + (f", gone from the source: {', '.join(r.missing)}" if r.missing else "")
        )
    if failing:
        sys.exit(EXIT_DEAD_LETTERS)


@dead_letters.command("ignore")
@click.argument("ids", nargs=-1, type=int)
@click.option("--sync", help="Ignore every open dead letter of this sync.")
@click.pass_context
def dl_ignore(ctx: click.Context, ids: tuple[int, ...], sync: str | None) -> None:
    """Mark dead letters as ignored: they stay on record but are no longer open."""
    with _errors():
        store = _store(ctx)
        letters = _select_letters(store, ids, sync)
        n = store.set_dead_letter_status([d.id for d in letters], "ignored")
    out.print(f"ignored {n} dead letter(s)")


def _select_letters(store: Any, ids: tuple[int, ...], sync: str | None) -> list[Any]:
    if not ids and not sync:
        _fail("give dead letter ids or --sync")
    if ids:
        letters = [store.dead_letter(i) for i in ids]
        unknown = [str(i) for i, d in zip(ids, letters, strict=True) if d is None]
        if unknown:
            _fail(f"no such dead letter: {', '.join(unknown)}")
        not_open = [str(d.id) for d in letters if d.status != "open"]
        if not_open:
            _fail(f"not open (already replayed or ignored): {', '.join(not_open)}")
        return letters
    return list(store.dead_letters(sync, "open", limit=100_000))


# --- record schemas ---------------------------------------------------------------


@main.group()
def schema() -> None:
    """JSON Schemas: of mapping files (for editors), and of the records a mapping writes."""


@schema.command("mapping")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write it here (schemas/mapping.schema.json) instead of printing it.")  # fmt: skip
def schema_mapping(output: Path | None) -> None:
    """The JSON Schema of mapping files for editors, with the installed connectors' systems in it.

    Regenerate the committed copy after installing or changing a connector:
    `officebridge schema mapping -o schemas/mapping.schema.json`.
    """
    from officebridge.mapping import render_schema  # noqa: PLC0415

    text = render_schema()
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"written to {output}")


@schema.command("draft")
@click.argument("mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the draft here (schemas/records/<system>/<object>.json) instead of printing it.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing --output file.")
def schema_draft(mapping: Path, output: Path | None, force: bool) -> None:
    """Draft a record schema for MAPPING's target object from the live describe (mapped fields only)."""
    from officebridge.mapping import load_mapping  # noqa: PLC0415
    from officebridge.quality.draft import draft_schema  # noqa: PLC0415
    from officebridge.sync.runner import Describer  # noqa: PLC0415

    with _errors():
        spec = load_mapping(mapping)
        describer = Describer()
        try:
            info = describer(spec.target.system, spec.target.connection, spec.target.object)
        finally:
            describer.close()
        if info is None:
            _fail(f"{spec.target.system} cannot describe {spec.target.object}")
            return
        text = json.dumps(draft_schema(spec, info), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        out.print(text, markup=False, highlight=False, soft_wrap=True, end="")
        return
    if output.exists() and not force:
        _fail(f"{output} exists; give --force to overwrite it")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    err.print(f"written to {output}; refine it, then add `record_schema: {output}` to the mapping")


# --- sandboxes --------------------------------------------------------------------


@main.group()
def sandbox() -> None:
    """Local emulations of the connected systems, to try mappings safely."""


@sandbox.command("up")
@click.option(
    "--port",
    "ports",
    multiple=True,
    metavar="SYSTEM=PORT",
    help="A system's port, --port <system>=<port>; default from OFFICEBRIDGE_PORTS, else the sandbox's own.",
)
@click.option("--seed/--no-seed", default=True, show_default=True, help="Seed demo data on first start.")
def sandbox_up(ports: tuple[str, ...], seed: bool) -> None:
    """Start every sandbox in the background (on 127.0.0.1) and write $OFFICEBRIDGE_HOME/sandbox.env.

    Ports: OFFICEBRIDGE_PORTS="salesforce=9443 odoo=9069" (the same variable `make demo` and `make
    airflow` read), overridden per system by --port. A taken port is refused before anything starts.
    """
    from officebridge import sandboxes  # noqa: PLC0415
    from officebridge.cli import ports as port_settings  # noqa: PLC0415

    with _errors():
        overrides = sandboxes.parse_ports(port_settings.sandbox_specs()) | sandboxes.parse_ports(ports)
        port_settings.refuse_taken_sandbox_ports(settings.home(), overrides)
        env_file, values = sandboxes.up(settings.home(), overrides, seed=seed)
    for name in values:  # the values hold credentials: they stay in the file, never on the screen
        out.print(name, markup=False, soft_wrap=True)
    err.print(f"written to {env_file}; load it with: source {env_file}")


@sandbox.command("down")
def sandbox_down() -> None:
    """Stop the background sandboxes."""
    from officebridge import sandboxes  # noqa: PLC0415

    for name in sandboxes.down(settings.home()):
        out.print(f"stopped {name}")


@sandbox.command("seed")
@click.option("--accounts", default=300, show_default=True, help="How many demo accounts (with contacts).")
@click.option(
    "--seed", "seed_value", default=7, show_default=True, help="Random seed (same seed, same data)."
)
@click.pass_context
def sandbox_seed(ctx: click.Context, accounts: int, seed_value: int) -> None:
    """Reset the sandboxes' data and seed fresh demo data; the state of syncs on them is reset too.

    The old links point at records that no longer exist (or, worse, at unrelated
    new ones with the same ids), so every sync that reads or writes a re-seeded
    sandbox forgets its links and watermark and reads everything again.
    """
    from officebridge import sandboxes  # noqa: PLC0415
    from officebridge.cli.state import describe, reset_sync  # noqa: PLC0415

    with _errors():
        seeded = sandboxes.seed(settings.home(), accounts=accounts, seed=seed_value)
        for name, counts in seeded.items():
            out.print(f"{name}: {_counts_line(counts)}", markup=False, soft_wrap=True)
        store = _store(ctx)
        for sync in _syncs_on(set(seeded), store):
            out.print(f"state reset: {describe(reset_sync(store, sync))}", markup=False, soft_wrap=True)


def _syncs_on(systems: set[str], store: Any) -> list[str]:
    """Syncs (from the mappings folder) whose source or target is one of `systems` and that have state."""
    from officebridge.mapping import load_mapping  # noqa: PLC0415

    known = {s.sync for s in store.syncs()}
    folder = settings.mappings_dir()
    found = []
    for path in sorted(folder.glob("*.y*ml")) if folder.is_dir() else []:
        try:
            m = load_mapping(path)
        except OfficeBridgeError:
            continue
        if m.name in known and {m.source.system, m.target.system} & systems:
            found.append(m.name)
    return found


@main.group("state")
def state_group() -> None:
    """The state store: what a sync remembers (links, watermark)."""


@state_group.command("reset")
@click.argument("sync")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.pass_context
def state_reset(ctx: click.Context, sync: str, yes: bool) -> None:
    """Forget SYNC's links and watermark: its next run reads everything again and matches records anew."""
    from officebridge.cli.state import describe, reset_sync  # noqa: PLC0415

    with _errors():
        store = _store(ctx)
        if sync not in {s.sync for s in store.syncs()}:
            _fail(f"the state store knows no sync {sync!r}")
        if not yes:
            click.confirm(f"Forget every link and the watermark of {sync}?", abort=True, err=True)
        out.print(describe(reset_sync(store, sync)), markup=False, soft_wrap=True)


def _register_reconcile() -> None:
    """`reconcile` lives in officebridge/cli/reconcile.py, which uses the helpers above."""
    from officebridge.cli.reconcile import reconcile  # noqa: PLC0415

    main.add_command(reconcile)


_register_reconcile()


def _register_conflicts() -> None:
    from officebridge.cli.conflicts import conflicts  # noqa: PLC0415

    main.add_command(conflicts)


_register_conflicts()


def _register_erase() -> None:
    """`erase` lives in its own module (officebridge/cli/erase.py), which uses the helpers above."""
    from officebridge.cli.erase import erase_command  # noqa: PLC0415

    main.add_command(erase_command)


_register_erase()
