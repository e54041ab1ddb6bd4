"""`StateStore`: the one door to a sync's durable memory.

The sync run reads links and the watermark through it, and writes through a
single method, `commit_batch`, which puts a batch's links, deletions, dead
letters, resolved letters, run counts and watermark into ONE transaction:
after a crash either the whole batch is recorded or none of it is, so a rerun
neither loses nor duplicates records. The CLI and the Airflow plugin use the
read side (runs, summaries, dead letters) and the lock.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine

from officebridge.errors import StateError
from officebridge.state import dead_letters as _dead
from officebridge.state import links as _links
from officebridge.state import lock as _lock
from officebridge.state import pairs as _pairs
from officebridge.state import runs as _runs
from officebridge.state._sql import SUPPORTED_DIALECTS, utcnow
from officebridge.state.engine import create_engine, masked, resolve_url, write_transaction
from officebridge.state.migrate import ensure_schema
from officebridge.state.records import (
    STAGES,
    DeadLetter,
    Link,
    LinkState,
    LinkWrite,
    NewDeadLetter,
    PairLink,
    Run,
    SyncSummary,
    Watermark,
)
from officebridge.state.schema import runs as runs_table
from officebridge.state.schema import watermarks as watermarks_table


class StateStore:
    """Links, watermarks, runs, dead letters and locks of every sync, in one database."""

    def __init__(self, engine: Engine) -> None:
        """Wrap an engine whose database is already at head; use `StateStore.open` instead."""
        self._engine = engine

    # --- lifecycle ---------------------------------------------------------

    @classmethod
    def open(cls, url: str | URL | None = None, *, migrate: bool = True) -> StateStore:
        """Open the store at `url` (or the configured default) and bring its schema to head."""
        parsed = resolve_url(url)
        if parsed.get_backend_name() not in SUPPORTED_DIALECTS:
            raise StateError(
                f"state store {masked(parsed)}: backend {parsed.get_backend_name()!r} is not supported "
                f"(use one of: {', '.join(SUPPORTED_DIALECTS)})"
            )
        try:
            engine = create_engine(parsed)
        except (sa.exc.ArgumentError, ImportError, OSError) as exc:
            raise StateError(f"cannot open state store {masked(parsed)}: {exc}") from None
        try:
            ensure_schema(engine, migrate=migrate)
        except StateError:
            engine.dispose()
            raise
        except sa.exc.SQLAlchemyError as exc:
            engine.dispose()
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise StateError(f"cannot open state store {masked(parsed)}: {reason}") from None
        return cls(engine)

    @property
    def url(self) -> URL:
        """The database URL; its str() and repr() mask the password."""
        return self._engine.url

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"StateStore({masked(self.url)!r})"

    # --- links -------------------------------------------------------------

    def links(self, sync: str, source_ids: Sequence[str]) -> dict[str, Link]:
        """Links (active or deleted) of these source ids, keyed by source id."""
        with self._engine.connect() as conn:
            return _links.by_source(conn, sync, source_ids)

    def link_states(self, sync: str, source_ids: Sequence[str]) -> dict[str, LinkState]:
        """Target id, hash and state of these source ids' links: the lean read planning makes."""
        with self._engine.connect() as conn:
            return _links.states(conn, sync, source_ids)

    def target_ids(self, sync: str, source_ids: Sequence[str]) -> dict[str, str]:
        """Target ids of active links, for references resolved through another sync."""
        with self._engine.connect() as conn:
            return _links.target_ids(conn, sync, source_ids)

    def links_by_target(self, sync: str, target_ids: Sequence[str]) -> dict[str, Link]:
        """Links keyed by target id (echo suppression in the opposite direction)."""
        with self._engine.connect() as conn:
            return _links.by_target(conn, sync, target_ids)

    def iter_links(self, sync: str, batch: int = 1000, *, state: str | None = None) -> Iterator[list[Link]]:
        """Every link of `sync` (optionally only one state) in pages of `batch`, by source id."""
        if batch <= 0:
            raise ValueError("batch must be positive")
        return _links.iterate(self._engine, sync, batch, state)

    # --- pair links (two-way syncs) -------------------------------------------

    def pair_links(self, pair: str, side: str, ids: Sequence[str]) -> dict[str, PairLink]:
        """The pair links of these ids of `side` ('a' or 'b'), keyed by that side's id."""
        with self._engine.connect() as conn:
            return _pairs.by_side(conn, pair, side, ids)

    def iter_pair_links(self, pair: str, batch: int = 1000) -> Iterator[list[PairLink]]:
        if batch <= 0:
            raise ValueError("batch must be positive")
        return _pairs.iterate(self._engine, pair, batch)

    def adopt_links(self, pair: str, sync: str, *, a_is_source: bool) -> int:
        """Start a pair from a directional sync's links (see `pairs.adopt`); returns how many were new."""
        with write_transaction(self._engine) as conn:
            return _pairs.adopt(conn, pair, sync, a_is_source=a_is_source, now=utcnow())

    def put_pair_links(self, pair: str, rows: Sequence[PairLink]) -> None:
        with write_transaction(self._engine) as conn:
            _pairs.write(conn, pair, rows, utcnow())

    def remove_pair_links(self, pair: str, a_ids: Sequence[str]) -> int:
        with write_transaction(self._engine) as conn:
            return _pairs.remove(conn, pair, a_ids)

    def close_conflict(self, letter_id: int, resolution: dict[str, Any]) -> None:
        """Close a conflict letter as resolved ('replayed'), keeping what was decided in its payload."""
        with write_transaction(self._engine) as conn:
            _pairs.close_conflict(conn, letter_id, resolution, utcnow())

    # --- watermark ---------------------------------------------------------

    def watermark(self, sync: str) -> Watermark | None:
        """The stored change stamp (aware UTC) or resume token of `sync`; None before its first batch."""
        with self._engine.connect() as conn:
            return _runs.watermark(conn, sync)

    def reset_watermark(self, sync: str) -> bool:
        """Forget the watermark (a full resync reads everything again); True if there was one.

        The only way backwards, on purpose outside `commit_batch`: links and
        hashes stay, so the resync updates what changed and skips the rest.
        """
        with write_transaction(self._engine) as conn:
            result = conn.execute(sa.delete(watermarks_table).where(watermarks_table.c.sync == sync))
            return bool(result.rowcount)

    # --- the write path of a batch -----------------------------------------

    def commit_batch(
        self,
        sync: str,
        run_id: int,
        *,
        links: Sequence[LinkWrite] = (),
        deleted: Sequence[str] = (),
        dead_letters: Sequence[NewDeadLetter] = (),
        resolved: Sequence[str] = (),
        watermark: Watermark | None = None,
        counts: Mapping[str, int] | None = None,
        pair: str | None = None,
        pair_links: Sequence[PairLink] = (),
        conflicts: Sequence[NewDeadLetter] = (),
        settled: Sequence[str] = (),
    ) -> None:
        """Record one batch atomically: all of it, or (on any error) none of it.

        A direction of a two-way sync also gives its `pair`: the pair links of the
        batch, its conflicts (dead letters of the pair, keyed by the side-a id)
        and the side-a ids whose open conflict has gone (both sides agree now).

        Order inside the transaction: links upserted, deleted links marked,
        resolved letters marked 'replayed', new failures added or bumped,
        counts added to the run, watermark advanced (a time never backwards; a
        token, opaque, replaces the one stored).
        """
        counts = counts or {}
        _runs.check_counts(counts)
        if isinstance(watermark, str) and not watermark:
            raise ValueError(f"token watermark of sync {sync!r} must not be empty")
        if isinstance(watermark, datetime) and watermark.utcoffset() is None:
            raise ValueError(f"watermark of sync {sync!r} must be timezone-aware, got naive {watermark}")
        now = utcnow()
        try:
            with write_transaction(self._engine) as conn:
                _runs.ensure_run(conn, sync, run_id)
                _links.write(conn, sync, links, now)
                _links.mark_deleted(conn, sync, deleted, now)
                _dead.resolve(conn, sync, resolved, now)
                _dead.add(conn, sync, run_id, dead_letters, now)
                if pair is not None:
                    _pairs.write(conn, pair, pair_links, now)
                    _dead.resolve(conn, pair, settled, now)
                    _dead.add(conn, pair, run_id, conflicts, now)
                _runs.add_counts(conn, run_id, counts)
                if watermark is not None:
                    _runs.advance_watermark(conn, sync, run_id, watermark, now)
        except sa.exc.DBAPIError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            raise StateError(
                f"could not record a batch of sync {sync!r} (run {run_id}); nothing was written: {reason}"
            ) from exc

    # --- runs --------------------------------------------------------------

    def start_run(self, sync: str, *, trigger: str = "cli", detail: dict[str, Any] | None = None) -> int:
        with write_transaction(self._engine) as conn:
            return _runs.start(conn, sync, trigger, detail or {}, utcnow())

    def finish_run(
        self, run_id: int, *, status: str, error: str | None = None, detail: dict[str, Any] | None = None
    ) -> Run:
        """Close a run; `detail` is merged into the detail given at start."""
        with write_transaction(self._engine) as conn:
            return _runs.finish(conn, run_id, status=status, error=error, detail=detail, now=utcnow())

    def runs(self, sync: str | None = None, limit: int = 20) -> list[Run]:
        """Most recent runs first."""
        with self._engine.connect() as conn:
            return _runs.recent(conn, sync, limit)

    def run(self, run_id: int) -> Run | None:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(runs_table).where(runs_table.c.id == run_id)).first()
            return None if row is None else _runs.to_run(row)

    def last_run(self, sync: str) -> Run | None:
        found = self.runs(sync, limit=1)
        return found[0] if found else None

    def syncs(self) -> list[SyncSummary]:
        with self._engine.connect() as conn:
            return _runs.summaries(conn)

    # --- dead letters --------------------------------------------------------

    def dead_letters(
        self,
        sync: str | None = None,
        status: str | None = "open",
        limit: int = 100,
        *,
        stage: str | None = None,
    ) -> list[DeadLetter]:
        """Newest first; status None means every status, stage None every stage.

        The stage is filtered in the query, so `limit` counts letters of that stage
        (a pair's conflicts are not crowded out by its other letters).
        """
        if stage is not None and stage not in STAGES:
            raise ValueError(f"dead letter stage must be one of {', '.join(STAGES)}, not {stage!r}")
        with self._engine.connect() as conn:
            return _dead.query(conn, sync, status, limit, stage)

    def open_letters_page(
        self, sync: str, code: str, *, before: datetime, after_id: int = 0, limit: int = 1000
    ) -> list[DeadLetter]:
        """Open letters of `code` last touched at or before `before`, oldest id first after `after_id`."""
        with self._engine.connect() as conn:
            return _dead.open_page(conn, sync, code, before=before, after_id=after_id, limit=limit)

    def open_letter_ids(self, sync: str, code: str, *, after: datetime) -> set[str]:
        """Source ids whose open letter of `code` was touched after `after`."""
        with self._engine.connect() as conn:
            return _dead.open_ids(conn, sync, code, after=after)

    def dead_letter(self, id: int) -> DeadLetter | None:
        with self._engine.connect() as conn:
            return _dead.get(conn, id)

    def set_dead_letter_status(self, ids: Sequence[int], status: str) -> int:
        """Mark letters 'replayed', 'ignored' or 'open' again; returns how many changed."""
        with write_transaction(self._engine) as conn:
            return _dead.set_status(conn, ids, status, utcnow())

    # --- lock ----------------------------------------------------------------

    def live_locks(self, *, name: str | None = None, prefix: str | None = None) -> list[str]:
        """Names of locks held right now, exactly `name` or starting with `prefix`."""
        return _lock.live_holders(self._engine, name=name, prefix=prefix)

    @contextmanager
    def lock(self, sync: str, *, ttl: float = 300) -> Iterator[_lock.Lock]:
        """Hold the lock of `sync` for the block; SyncLockedError if another run holds it."""
        held = _lock.acquire(self._engine, sync, ttl)
        try:
            yield held
        finally:
            held.release()
