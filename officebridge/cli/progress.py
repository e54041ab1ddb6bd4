"""The progress display of `officebridge run` at a terminal: a bar with total, percentage and ETA.

The total comes from the source connector's optional `count(request) -> int |
None` (Salesforce `SELECT COUNT()`, Odoo `search_count`, on the same filter and
window as the read). The connector contract has no count verb yet, so it is
looked up with `getattr`; a source that cannot count gets a spinner and the
counters instead. The counters sit on their own line, which wraps between
words, so `failed=` is never cut off at 80 columns. Nothing of this is shown
when stderr is not a terminal (no extra count query either).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from officebridge.errors import OfficeBridgeError
from officebridge.sync.counts import OUTCOMES

log = logging.getLogger(__name__)
Update = Callable[[Any], None]


class _BarWithCounts(Progress):
    """Rich's Progress, with one more line below the bar: the run's counters."""

    counts: Text = Text("")

    def get_renderables(self) -> Iterable[RenderableType]:
        yield self.make_tasks_table(self.tasks)
        yield self.counts


def source_total(run: Any) -> int | None:
    """What the run will read, when the source can say; None when it cannot (or the count failed)."""
    count = getattr(run.source, "count", None)
    if not callable(count):
        return None
    try:
        total = count(run.request(run.since()))
    except OfficeBridgeError as exc:  # a count is a nicety: the run itself will meet a real problem
        log.debug("no total for the progress bar: %s", exc)
        return None
    return total if isinstance(total, int) and total >= 0 else None


def counts_text(name: str, counts: dict[str, int]) -> Text:
    text = Text(f"{name}:", style="bold")
    for key, value in counts.items():
        text.append(" ")
        text.append(f"{key}={value}", style="bold red" if key == "failed" and value else "")
    return text


@contextmanager
def progress_bar(name: str, total: int | None, console: Console | None = None) -> Iterator[Update | None]:
    """Yield the engine's progress callback (it gets the run's Counts after each batch), or None.

    The console is made here by default, not at import: rich decides once, when a console is made,
    whether it may redraw (`is_interactive`).
    """
    console = console or Console(stderr=True, highlight=False)
    if not console.is_terminal:
        yield None
        return
    if total is None:
        columns: tuple[Any, ...] = (SpinnerColumn(), TimeElapsedColumn())
    else:
        columns = (
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TimeElapsedColumn(),
        )
    with _BarWithCounts(*columns, console=console, transient=True) as bar:
        bar.counts = counts_text(name, dict.fromkeys(OUTCOMES, 0))
        task = bar.add_task(name, total=total)

        def update(counts: Any) -> None:
            done = counts.read
            bar.counts = counts_text(name, counts.as_dict())
            bar.update(task, completed=done, total=None if total is None else max(total, done))
            bar.refresh()

        bar.refresh()
        yield update
