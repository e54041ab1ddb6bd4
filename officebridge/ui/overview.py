"""What the Syncs view shows, as plain values built from the mapping files and the state store.

The HTML pages and the JSON API render the same objects, so the two can never
disagree, and this module can be tested against a real store without a web
server. Every text that came from a remote system (error messages, payloads)
passes through secret redaction once more on the way out: the store already
redacts on the way in, but the serving process may know secrets the writing
process did not.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from officebridge.errors import MappingError, OfficeBridgeError
from officebridge.mapping import load_mapping
from officebridge.pair.loader import is_pair_file, load_pair
from officebridge.secrets import redact
from officebridge.state import DeadLetter, StateStore
from officebridge.state.reconciliations import Reconciliation, latest
from officebridge.state.records import Run
from officebridge.ui.runs import RunView, logical_runs

__all__ = [
    "HEALTH",
    "ConflictView",
    "MappingCatalogue",
    "RunView",
    "SyncView",
    "conflicts",
    "run_view",
    "sync_detail",
    "syncs",
]

# Keys under which the Airflow integration records its run in `runs.detail`; the first present wins.
AIRFLOW_DAG_KEYS = ("airflow_dag_id", "dag_id")
AIRFLOW_RUN_KEYS = ("airflow_run_id", "dag_run_id", "airflow_dag_run_id")
COUNTS_SHOWN = ("read", "created", "updated", "unchanged", "failed")
RECONCILED_SHOWN = ("missing", "broken", "extra", "drifted")
RUNS_READ = 200  # state-store rows read per sync to fold into logical runs
CONFLICT_STAGE = "conflict"  # the stage of a two-way sync's manual conflict letters
# what a row of the list says about a sync, the ones that need someone first
HEALTH = ("broken", "failed", "partial", "running", "never run", "healthy")


def dag_id_of(sync: str) -> str:
    """The DAG that runs a sync (the factory in dags/ names them this way)."""
    return f"sync__{sync}"


@dataclass(frozen=True)
class Endpoint:
    system: str
    object: str
    connection: str

    @property
    def label(self) -> str:
        return f"{self.system} · {self.object}"


@dataclass(frozen=True)
class MappingInfo:
    """One mapping file as the view needs it; `problem` is set when the file does not load."""

    name: str
    file: str
    source: Endpoint | None = None
    target: Endpoint | None = None
    schedule: str | None = None
    description: str = ""
    owner: str | None = None
    problem: str | None = None  # the first problem (the most fundamental one)
    problems: tuple[str, ...] = ()  # every problem, in the loader's order (causes before knock-ons)


def payload_text(letter: DeadLetter) -> str:
    """A dead letter's payload as the page shows it: indented JSON, keys sorted."""
    return json.dumps(letter.payload, indent=2, sort_keys=True, ensure_ascii=False, default=str)


@dataclass(frozen=True)
class SyncView:
    """One row of the Syncs page: the mapping's two ends and what the store knows."""

    name: str
    dag_id: str
    mapping: MappingInfo | None
    last_run: RunView | None
    watermark: datetime | str | None  # a change stamp, or a token cursor's opaque resume token
    links: int
    open_dead_letters: int
    runs: list[RunView] = field(default_factory=list)
    health: str = "healthy"  # one of HEALTH
    reason: str = ""  # why, in a few words
    reconciliation: Reconciliation | None = None  # the last comparison of both systems

    @property
    def rank(self) -> int:
        return HEALTH.index(self.health)


class MappingCatalogue:
    """The mapping files of a folder, each loaded on its own and reloaded when it changes.

    A broken file shows up as a row with its problem instead of taking the view
    down: the ops engineer needs the page most when something is wrong.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._cache: dict[Path, tuple[float, list[MappingInfo]]] = {}

    def all(self) -> list[MappingInfo]:
        """Every sync of the folder: a directional file is one, a two-way file (pairs/) three:
        the pair (its conflicts) and its two directions (their runs, watermarks, letters)."""
        found = (
            [*self.folder.glob("*.y*ml"), *self.folder.glob("pairs/*.y*ml")] if self.folder.is_dir() else []
        )
        files = sorted(found)
        self._cache = {p: v for p, v in self._cache.items() if p in files}
        return [info for path in files for info in self._info(path)]

    def by_name(self) -> dict[str, MappingInfo]:
        return {info.name: info for info in self.all()}

    def _info(self, path: Path) -> list[MappingInfo]:
        try:
            mtime = path.stat().st_mtime
        except OSError as exc:
            return [MappingInfo(name=path.stem, file=str(path), problem=str(exc))]
        cached = self._cache.get(path)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        infos = _load_pair_infos(path) if is_pair_file(path) else [_load_info(path)]
        self._cache[path] = (mtime, infos)
        return infos


def _load_pair_infos(path: Path) -> list[MappingInfo]:
    try:
        pair = load_pair(path)
    except MappingError as exc:
        found = tuple(redact(str(p)) for p in exc.problems) or (type(exc).__name__,)
        return [MappingInfo(name=path.stem, file=str(path), problem=found[0], problems=found)]
    a, b = (Endpoint(s.system, s.object, s.connection) for s in (pair.a, pair.b))
    where = str(path)
    return [
        MappingInfo(pair.name, where, a, b, pair.schedule, f"two-way: {pair.description}"),
        MappingInfo(pair.a_to_b.name, where, a, b, pair.schedule, "side a's changes into side b"),
        MappingInfo(pair.b_to_a.name, where, b, a, pair.schedule, "side b's changes into side a"),
    ]


def _load_info(path: Path) -> MappingInfo:
    try:
        m = load_mapping(path)
    except MappingError as exc:
        found = tuple(redact(str(p)) for p in exc.problems) or (type(exc).__name__,)
        return MappingInfo(name=path.stem, file=str(path), problem=found[0], problems=found)
    except OfficeBridgeError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return MappingInfo(name=path.stem, file=str(path), problem=redact(first), problems=(redact(first),))
    return MappingInfo(
        name=m.name,
        file=str(path),
        source=Endpoint(m.source.system, m.source.object, m.source.connection),
        target=Endpoint(m.target.system, m.target.object, m.target.connection),
        schedule=None if m.schedule is None else str(m.schedule),
        description=m.description,
        owner=m.owner,
    )


def _first(detail: dict[str, Any], keys: Iterable[str]) -> str | None:
    for key in keys:
        value = detail.get(key)
        if value:
            return str(value)
    return None


def run_view(run: Run) -> RunView:
    return RunView(
        id=run.id,
        sync=run.sync,
        status=run.status,
        trigger=run.trigger,
        started_at=run.started_at,
        finished_at=run.finished_at,
        counts={name: run.counts.get(name, 0) for name in run.counts},
        error=redact(run.error) if run.error else None,
        airflow_dag_id=_first(run.detail, AIRFLOW_DAG_KEYS),
        airflow_run_id=_first(run.detail, AIRFLOW_RUN_KEYS),
        rows=(run.id,),
        errors=(redact(run.error),) if run.error else (),
    )


def letter_view(letter: DeadLetter) -> DeadLetter:
    """The letter as it may be shown: secrets this process knows are masked once more."""
    payload = json.loads(redact(json.dumps(letter.payload, default=str)))
    return dataclasses.replace(letter, message=redact(letter.message or ""), payload=payload)


def health_of(mapping: MappingInfo | None, last: RunView | None, open_letters: int) -> tuple[str, str]:
    """(health, reason): a broken mapping first, then the last logical run, then open dead letters."""
    if mapping is not None and mapping.problem:
        return "broken", f"mapping does not load ({len(mapping.problems) or 1} problem(s))"
    if last is not None and last.status == "failed":
        return "failed", last.error or "the last run failed"
    if open_letters or (last is not None and last.status == "partial"):
        return "partial", f"{open_letters} open dead letter(s)"
    if last is not None and last.status == "running":
        return "running", "a run is in progress"
    if last is None:
        return "never run", ""
    return "healthy", ""


def _view(store: StateStore, name: str, mapping: MappingInfo | None, summary: Any, runs: int) -> SyncView:
    folded = logical_runs(run_view(r) for r in store.runs(name, limit=RUNS_READ)) if summary else []
    last = folded[0] if folded else None
    letters = summary.open_dead_letters if summary else 0
    health, reason = health_of(mapping, last, letters)
    return SyncView(
        name=name,
        dag_id=dag_id_of(name),
        mapping=mapping,
        last_run=last,
        watermark=summary.watermark if summary else None,
        links=summary.links if summary else 0,
        open_dead_letters=letters,
        runs=folded[:runs],
        health=health,
        reason=reason,
        reconciliation=latest(store, name),
    )


def syncs(store: StateStore, catalogue: MappingCatalogue, runs: int = 0) -> list[SyncView]:
    """Every sync known to the mapping folder or to the store, the unhealthy first, then by name.

    "Last run" is the last logical run (every partition of one DAG run together).
    """
    mappings = catalogue.by_name()
    summaries = {s.sync: s for s in store.syncs()}
    views = [_view(store, n, mappings.get(n), summaries.get(n), runs) for n in set(mappings) | set(summaries)]
    return sorted(views, key=lambda v: (v.rank, v.name))


def sync_detail(store: StateStore, catalogue: MappingCatalogue, name: str, runs: int = 20) -> SyncView | None:
    """One sync with its recent logical runs; None when neither a mapping nor the store knows it."""
    mappings = catalogue.by_name()
    summary = next((s for s in store.syncs() if s.sync == name), None)
    if name not in mappings and summary is None:
        return None
    return _view(store, name, mappings.get(name), summary, runs)


def dead_letters(
    store: StateStore, sync: str | None = None, status: str | None = "open", limit: int = 200
) -> list[DeadLetter]:
    return [letter_view(d) for d in store.dead_letters(sync, status, limit=limit)]


@dataclass(frozen=True)
class ConflictField:
    """One field of a conflict: each side's field name, its current version and its last synced one."""

    name: str
    a_field: str
    b_field: str
    a: Any
    b: Any
    base_a: Any
    base_b: Any


@dataclass(frozen=True)
class ConflictView:
    """A manual conflict of a two-way sync, open or resolved, as the sync's page shows it.

    `a_system`/`b_system` come from the pair's file (empty when it does not load);
    `resolution` is what the letter recorded when it was resolved.
    """

    id: int
    pair: str
    a_id: str
    b_id: str
    a_system: str
    b_system: str
    fields: tuple[ConflictField, ...]
    status: str  # 'open' | 'resolved' | 'ignored'
    updated_at: datetime
    resolution: dict[str, Any] | None = None
    resolved_at: datetime | None = None


def _stamp(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def pair_systems(mappings_dir: Path, pair: str) -> tuple[str, str]:
    """The systems of a pair's sides a and b, for the buttons' labels; ("", "") if its file does not load."""
    from officebridge.pair.loader import load_pair  # noqa: PLC0415
    from officebridge.pair.resolve import find_pair_file  # noqa: PLC0415 - the pair engine only here

    try:
        spec = load_pair(find_pair_file(pair, mappings_dir))
    except OfficeBridgeError:
        return "", ""
    return spec.a.system, spec.b.system


def conflict_view(letter: DeadLetter, systems: tuple[str, str]) -> ConflictView:
    shown = letter_view(letter)  # masked like every other letter
    payload = shown.payload
    fields = tuple(
        ConflictField(
            name=str(name),
            a_field=str(v.get("a_field", name)),
            b_field=str(v.get("b_field", name)),
            a=v.get("a"),
            b=v.get("b"),
            base_a=v.get("base_a"),
            base_b=v.get("base_b"),
        )
        for name, v in dict(payload.get("fields") or {}).items()
        if isinstance(v, dict)
    )
    resolution = payload.get("resolution")
    return ConflictView(
        id=letter.id,
        pair=str(payload.get("pair") or letter.sync),
        a_id=str(payload.get("a_id", "")),
        b_id=str(payload.get("b_id", "")),
        a_system=systems[0],
        b_system=systems[1],
        fields=fields,
        status="resolved" if letter.status == "replayed" else letter.status,
        updated_at=letter.updated_at,
        resolution=resolution if isinstance(resolution, dict) else None,
        resolved_at=_stamp(resolution.get("at")) if isinstance(resolution, dict) else None,
    )


def conflicts(
    store: StateStore, mappings_dir: Path, pair: str, status: str | None = "open", limit: int = 200
) -> list[ConflictView]:
    """A pair's conflicts (open ones unless asked otherwise), newest first."""
    letters = store.dead_letters(pair, status, limit=limit, stage=CONFLICT_STAGE)
    if not letters:
        return []
    systems = pair_systems(mappings_dir, pair)
    return [conflict_view(d, systems) for d in letters]
