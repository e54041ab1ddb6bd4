"""`officebridge state reset SYNC`: forget what a sync linked, so its next run starts from nothing.

Needed when the records a sync's links point at are gone or replaced (a
sandbox re-seeded, a test system refreshed from production): links would
otherwise attach records to unrelated ones. Runs and dead letters stay on
record; open dead letters of the sync are marked ignored (their records are
read again by the next, full run). The state store has no verb for this yet
(it belongs to the state package); until it has, this deletes the sync's
rows of the links and watermarks tables itself, in one transaction, under
the sync's run lock so it cannot cut into a running sync.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa


@dataclass(frozen=True)
class Reset:
    sync: str
    links: int
    watermark: bool
    dead_letters: int


def reset_sync(store: Any, sync: str) -> Reset:
    from officebridge.state.schema import links, watermarks  # noqa: PLC0415

    with store.lock(sync):
        open_ids = [d.id for d in store.dead_letters(sync, "open", limit=1_000_000)]
        with store.engine.begin() as conn:
            gone = conn.execute(sa.delete(links).where(links.c.sync == sync)).rowcount
            mark = conn.execute(sa.delete(watermarks).where(watermarks.c.sync == sync)).rowcount
        ignored = store.set_dead_letter_status(open_ids, "ignored") if open_ids else 0
    return Reset(sync, int(gone or 0), bool(mark), ignored)


def describe(reset: Reset) -> str:
    return (
        f"{reset.sync}: forgot {reset.links} link(s)"
        + (" and the watermark" if reset.watermark else "")
        + (f"; {reset.dead_letters} open dead letter(s) marked ignored" if reset.dead_letters else "")
        + "; the next run reads everything again"
    )
