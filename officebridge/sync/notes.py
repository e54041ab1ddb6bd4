"""What a run noticed besides its counts: said in the run summary, so nobody has to guess.

Future change stamps (a skewed source clock) cannot move the watermark past the
run's start, so they are counted here; late arrivals (records read again in the
overlap window that the previous run never saw) say how close the source came
to outrunning the overlap; re-created and adopted records explain writes that
the counts alone would not. Connectors add what only they see (an API budget
running low) with `connector_note`, without the engine knowing any connector.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

_current: RunNotes | None = None  # the notes of the run this process started last
_lock = threading.Lock()


def connector_note(key: str, text: str) -> None:
    """Say `text` in the current run's summary (the latest note under `key` wins); no run: ignored."""
    with _lock:
        if _current is not None:
            _current.connector[key] = text


@dataclass(slots=True)
class RunNotes:
    overlap: timedelta
    future_stamps: int = 0
    future_max: datetime | None = None
    late_arrivals: int = 0
    late_max: timedelta = timedelta(0)
    older_than_window: int = 0
    oldest_seen: datetime | None = None
    recreated: int = 0  # linked target records deleted in the target, created again
    adopted: int = 0  # target records found through the match field and linked, not written
    connector: dict[str, str] = field(default_factory=dict)  # connector_note: key -> latest text

    def __post_init__(self) -> None:
        global _current  # noqa: PLW0603 - one run's notes per process receive connector notes
        with _lock:
            _current = self

    def future(self, stamp: datetime) -> None:
        self.future_stamps += 1
        self.future_max = stamp if self.future_max is None else max(stamp, self.future_max)

    def late(self, lag: timedelta) -> None:
        self.late_arrivals += 1
        self.late_max = max(self.late_max, lag)

    def too_old(self, stamp: datetime) -> None:
        self.older_than_window += 1
        self.oldest_seen = stamp if self.oldest_seen is None else min(stamp, self.oldest_seen)

    def warnings(self) -> list[str]:
        out = list(self.connector.values())
        if self.future_stamps:
            out.append(
                f"{self.future_stamps} record(s) carry a change stamp after this run started (latest "
                f"{self.future_max.isoformat() if self.future_max else '?'}): the source clock runs ahead; "
                "the watermark stopped at the run's start, so they are read again until their time comes"
            )
        if self.late_arrivals and self.late_max * 2 >= self.overlap:
            out.append(
                f"{self.late_arrivals} change(s) became visible up to {int(self.late_max.total_seconds())}s "
                f"after their stamp, close to the overlap of {int(self.overlap.total_seconds())}s: a later "
                "one would be missed; widen the overlap or reconcile"
            )
        if self.older_than_window:
            out.append(
                f"{self.older_than_window} record(s) were read with a stamp older than the window asked for "
                f"(oldest {self.oldest_seen.isoformat() if self.oldest_seen else '?'})"
            )
        return out

    def detail(self) -> dict[str, Any]:
        """The run's `detail["notes"]`: only what happened, plus readable warnings."""
        found: dict[str, Any] = {}
        if self.future_stamps:
            found["future_stamps"] = {"count": self.future_stamps, "max": _iso(self.future_max)}
        if self.late_arrivals:
            found["late_arrivals"] = {
                "count": self.late_arrivals,
                "max_lag_seconds": self.late_max.total_seconds(),
                "overlap_seconds": self.overlap.total_seconds(),
            }
        if self.older_than_window:
            found["older_than_window"] = {"count": self.older_than_window, "oldest": _iso(self.oldest_seen)}
        if self.recreated:
            found["recreated"] = self.recreated
        if self.adopted:
            found["adopted"] = self.adopted
        warnings = self.warnings()
        if warnings:
            found["warnings"] = warnings
        return {"notes": found} if found else {}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
