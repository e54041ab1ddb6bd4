"""Entry points that turn a mapping file into a run, a preview or a replay.

Order matters for "bad input leaves state untouched": the mapping is loaded and
compiled, connections resolved and both systems checked *before* the state
store is written to, so a typo, a wrong password or a host that is down fails
fast with nothing recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from officebridge import settings
from officebridge.connections import resolve_connection
from officebridge.connector import Connector, ObjectInfo, open_connector
from officebridge.errors import ConfigError
from officebridge.mapping import compile_mapping, load_mapping, load_mappings
from officebridge.mapping.loader import sync_names
from officebridge.retry import counting
from officebridge.state import DeadLetter, StateStore
from officebridge.sync.counts import Counts
from officebridge.sync.lifecycle import lifecycle
from officebridge.sync.plan import FILTERED, Planned
from officebridge.sync.run import DEFAULT_OPTIONS, Progress, RunOptions, RunResult, SyncRun


@dataclass
class Endpoints:
    source: Connector
    target: Connector
    mapping: Any

    def describe(self, system: str, connection: str, object_name: str) -> ObjectInfo | None:
        """Describe through the already open connectors (the mapping's own two systems)."""
        for connector, spec in ((self.source, self.mapping.source), (self.target, self.mapping.target)):
            if spec.system == system and spec.connection == connection:
                return connector.describe(object_name)
        return None

    def close(self) -> None:
        for connector in (self.source, self.target):
            try:
                connector.close()
            except Exception:
                pass


def connect(mapping: Any, *, check: bool = True) -> Endpoints:
    source = open_connector(mapping.source.system, resolve_connection(mapping.source.connection))
    target = open_connector(mapping.target.system, resolve_connection(mapping.target.connection))
    endpoints = Endpoints(source, target, mapping)
    if check:
        try:
            source.check()
            target.check()
        except BaseException:
            endpoints.close()
            raise
    return endpoints


class Describer:
    """Describes objects for mapping validation, one connector per connection, cached."""

    def __init__(self) -> None:
        self.connectors: dict[tuple[str, str], Connector] = {}
        self.cache: dict[tuple[str, str, str], ObjectInfo | None] = {}

    def __call__(self, system: str, connection: str, object_name: str) -> ObjectInfo | None:
        key = (system, connection, object_name)
        if key not in self.cache:
            conn_key = (system, connection)
            if conn_key not in self.connectors:
                self.connectors[conn_key] = open_connector(system, resolve_connection(connection))
            self.cache[key] = self.connectors[conn_key].describe(object_name)
        return self.cache[key]

    def close(self) -> None:
        for connector in self.connectors.values():
            connector.close()


def peer_syncs(path: Path) -> frozenset[str]:
    """Syncs a mapping's `link:` may name: those of its own folder and of the configured mappings folder."""
    folders = {path.parent, settings.mappings_dir()}
    return frozenset().union(*(sync_names(f) for f in folders if f.is_dir()))


OpenEndpoints = Callable[[Any], AbstractContextManager[Endpoints]]


@contextmanager
def _connected(mapping: Any) -> Iterator[Endpoints]:
    # no separate check(): the describes in `prepared` log in to both systems and fail just as fast on
    # refused credentials, TLS or a wrong API version (issue 12: one login and no extra call per run)
    endpoints = connect(mapping, check=False)
    try:
        yield endpoints
    finally:
        endpoints.close()


@contextmanager
def prepared(
    path: str | Path, store: StateStore | None, options: RunOptions, *, endpoints: OpenEndpoints | None = None
) -> Iterator[SyncRun]:
    """A run of the mapping at `path`, checked against both systems; `endpoints(mapping)` opens the
    connectors (default: new ones, closed afterwards; an Airflow task passes the DAG run's shared ones)."""
    mapping = load_mapping(Path(path), syncs=peer_syncs(Path(path)))  # a link to no sync: a load-time error
    with (endpoints or _connected)(mapping) as opened:
        own_store = store is None
        try:
            with counting() as before:  # retried logins and describes count for the run they prepare
                # check field names against the live systems before anything is read or written
                mapping = load_mapping(Path(path), describe=opened.describe)
            compiled = compile_mapping(mapping)
            store = store or StateStore.open()
            yield SyncRun(
                mapping,
                compiled,
                opened.source,
                opened.target,
                store,
                options=options,
                retried_before=before,
            )
        finally:
            if own_store and store is not None:
                store.close()


def run_mapping(
    path: str | Path,
    store: StateStore | None = None,
    options: RunOptions = DEFAULT_OPTIONS,
    progress: Progress | None = None,
) -> RunResult:
    with prepared(path, store, options) as run:
        return run.run(progress)


@dataclass
class Preview:
    sync: str
    plans: list[Planned]
    counts: Counts = field(default_factory=Counts)


def preview_mapping(path: str | Path, store: StateStore, limit: int = 20) -> Preview:
    """Read changes since the watermark and plan them; nothing is written anywhere."""
    with prepared(path, store, RunOptions(read_batch=min(max(limit, 1), 2000))) as run:
        plans: list[Planned] = []
        for page in run.batches(run.since()):
            batch = run.planner.plan(page.records[: limit - len(plans)])
            batch = [p for p in batch if p.reason != FILTERED]  # -n counts records the sync would touch
            run.quality.apply(batch, preview=True)  # show what the checks would stop; never raises
            plans.extend(batch)
            if len(plans) >= limit:
                break
        result = Preview(run.sync, plans)
        for p in plans:
            result.counts.read += 1
            name = {"create": "created", "update": "updated", "archive": "deleted", "delete": "deleted"}.get(
                p.action, p.action
            )
            setattr(result.counts, name, getattr(result.counts, name) + 1)
        return result


def find_mapping(sync: str, mappings_dir: Path) -> Path:
    for mapping in load_mappings(sorted(mappings_dir.glob("*.y*ml"))):
        if mapping.name == sync:
            return Path(mapping.file)
    raise ConfigError(f"no mapping named {sync!r} in {mappings_dir}")


@dataclass
class ReplayResult:
    sync: str
    replayed: int
    still_failing: int
    missing: list[str]
    run_id: int | None


def replay(
    store: StateStore,
    letters: Sequence[DeadLetter],
    mappings_dir: Path,
    options: RunOptions = DEFAULT_OPTIONS,
) -> list[ReplayResult]:
    """Read the dead-lettered records again from the source and push them through the sync."""
    conflicts = [str(d.id) for d in letters if d.stage == "conflict"]
    if conflicts:
        raise ConfigError(
            f"dead letter(s) {', '.join(conflicts)} are conflicts of a two-way sync: a conflict is "
            "resolved, not replayed (officebridge conflicts resolve ID --take a|b, or the Syncs view)"
        )
    by_sync: dict[str, list[DeadLetter]] = {}
    for letter in letters:
        by_sync.setdefault(letter.sync, []).append(letter)
    results = []
    for sync, group in by_sync.items():
        path = find_mapping(sync, mappings_dir)
        replay_options = RunOptions(
            trigger="replay",
            overlap=options.overlap,
            lock_ttl=options.lock_ttl,
            retry=options.retry,
            detail=options.detail,  # e.g. the Airflow run that replays, so the Syncs view links to it
        )
        with prepared(path, store, replay_options) as run, lifecycle(run) as life, run.count_retries(life):
            run.life = life
            ids = [letter.source_id for letter in group]
            run.parked -= set(ids)  # a person checked these: they go through, parked or not
            counts, found = run.reprocess(life.run_id, ids)  # committed chunk by chunk
            life.counts.add(counts)
            run_id = life.run_id
        results.append(
            ReplayResult(sync, len(found) - counts.failed, counts.failed, sorted(set(ids) - found), run_id)
        )
    return results
