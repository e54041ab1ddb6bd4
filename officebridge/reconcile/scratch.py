"""A reconciliation's working set on disk: the ids read in scope, and the ids of what was found.

An active link is *extra* when its A record is not in scope any more. The
scope is read in the source's own order (by change stamp), the links in id
order, so the two streams cannot be merged in memory without holding one of
them whole. Instead every in-scope id goes into a throwaway SQLite file, and
each page of links asks it which of its ids were seen: bounded memory, one
indexed query per page. What was found (missing, broken, drifted, extra ids)
is kept there too, so a repair of a million records reads them back in pages.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

_CHUNK = 500  # well under SQLite's bound-parameter limit


class Scratch:
    """Seen ids and found ids in a temporary file; use as a context manager (removed on exit)."""

    def __init__(self, folder: str | Path | None = None) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="ob-reconcile-", dir=folder)
        self._db = sqlite3.connect(Path(self._dir.name) / "scratch.db")
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("CREATE TABLE seen (id TEXT PRIMARY KEY) WITHOUT ROWID")
        self._db.execute(
            "CREATE TABLE found (what TEXT, a_id TEXT, b_id TEXT, reason TEXT, PRIMARY KEY (what, a_id))"
        )

    def see(self, ids: Iterable[str]) -> None:
        self._db.executemany("INSERT OR IGNORE INTO seen (id) VALUES (?)", ((i,) for i in ids))

    def seen_among(self, ids: Sequence[str]) -> set[str]:
        """Which of `ids` were seen in scope."""
        found: set[str] = set()
        for start in range(0, len(ids), _CHUNK):
            chunk = list(ids[start : start + _CHUNK])
            marks = ",".join("?" * len(chunk))
            found |= {row[0] for row in self._db.execute(f"SELECT id FROM seen WHERE id IN ({marks})", chunk)}
        return found

    def note(self, what: str, a_id: str, b_id: str | None = None, reason: str = "") -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO found (what, a_id, b_id, reason) VALUES (?, ?, ?, ?)",
            (what, a_id, b_id, reason),
        )

    def found(self, what: str, batch: int = _CHUNK, *, reason: str | None = None) -> Iterator[list[str]]:
        """The A ids found as `what` (optionally only with `reason`), in pages, by id."""
        after = ""
        while True:
            query = "SELECT a_id FROM found WHERE what = ? AND a_id > ?"
            params: list[object] = [what, after]
            if reason is not None:
                query += " AND reason = ?"
                params.append(reason)
            rows = [r[0] for r in self._db.execute(query + " ORDER BY a_id LIMIT ?", [*params, batch])]
            if not rows:
                return
            yield rows
            after = rows[-1]

    def close(self) -> None:
        self._db.close()
        self._dir.cleanup()

    def __enter__(self) -> Scratch:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
