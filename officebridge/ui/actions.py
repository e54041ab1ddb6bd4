"""The repairs an ops engineer can make from the view: replay a dead letter, ignore it, resolve a conflict.

Both the HTML buttons and the JSON API call these, so they behave the same:
a letter that is no longer open is refused (someone else got there first),
a replay starts a run of the sync's `replay__<sync>` DAG with the letters'
ids in its conf (a worker reads the records again and pushes them through,
with a task log and retries; nothing runs in the API server), and failures
come back as one typed error whose message is safe to show (secrets redacted).

Resolving a two-way sync's conflict runs in the request instead: it is one
record on each side (read both, write the chosen value where it differs, read
back), bounded and done in seconds, and the person who chose wants to see the
outcome, not a run to wait for. A worker's retries would also be wrong for it:
a resolution that failed must be looked at again, since either side may have
moved. It holds the pair's lock, so it never interleaves with the pair's runs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from officebridge.errors import ConfigError, OfficeBridgeError, RetryLaterError
from officebridge.secrets import redact
from officebridge.state import DeadLetter, StateStore
from officebridge.ui.overview import CONFLICT_STAGE, pair_systems

if TYPE_CHECKING:
    from officebridge.ui.trigger import TriggeredRun

log = logging.getLogger(__name__)


class ActionError(Exception):
    """A repair that could not be done; `status` is the HTTP status the API answers with."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ActionResult:
    id: int
    sync: str
    action: str  # 'replay' | 'ignore' | 'resolve'
    status: str  # 'queued' (a replay run was started), 'ignored', 'resolved'
    message: str
    run_id: int | None = None  # the state-store run, when the action ran one itself
    dag_id: str = ""  # the Airflow DAG run a replay started, and its page
    dag_run_id: str = ""
    url: str = ""


def find_letter(store: StateStore, letter_id: int) -> DeadLetter:
    letter = store.dead_letter(letter_id)
    if letter is None:
        raise ActionError(f"dead letter {letter_id} does not exist", 404)
    return letter


def ensure_open(letter: DeadLetter) -> None:
    """Refuse to act twice: whoever acted first decided what happened to the record."""
    if letter.status != "open":
        raise ActionError(f"dead letter {letter.id} is already {letter.status}", 409)


def replay_letter(store: StateStore, letter: DeadLetter, user_name: str, *, from_ui: bool) -> ActionResult:
    """Queue the letter's replay as an Airflow run; the letter stays open until the worker replays it."""
    run = _trigger(letter.sync, [letter.id], user_name, from_ui)
    message = f"replay of record {letter.source_id} started as Airflow run {run.run_id} of {run.dag_id}"
    return ActionResult(letter.id, letter.sync, "replay", "queued", message, None, *_run_fields(run))


def replay_sync(store: StateStore, sync: str, user_name: str, *, from_ui: bool) -> ActionResult:
    """Replay every open letter of one sync in one Airflow run (after a fix that helps them all)."""
    letters = [d for d in store.dead_letters(sync, "open", limit=100_000) if d.stage != CONFLICT_STAGE]
    if not letters:
        raise ActionError(f"sync {sync!r} has no open dead letters", 409)
    run = _trigger(sync, [d.id for d in letters], user_name, from_ui)
    message = f"replay of {len(letters)} record(s) of {sync} started as Airflow run {run.run_id}"
    return ActionResult(0, sync, "replay", "queued", message, None, *_run_fields(run))


def _run_fields(run: TriggeredRun) -> tuple[str, str, str]:
    return run.dag_id, run.run_id, run.url


def _trigger(sync: str, ids: list[int], user_name: str, from_ui: bool) -> TriggeredRun:
    from officebridge.ui.trigger import TriggerError, trigger_replay  # noqa: PLC0415 - Airflow only here

    try:
        return trigger_replay(sync, ids, user_name, from_ui=from_ui)
    except TriggerError as exc:
        raise ActionError(redact(str(exc)), exc.status) from None


def ensure_conflict(letter: DeadLetter) -> None:
    if letter.stage != CONFLICT_STAGE:
        raise ActionError(f"dead letter {letter.id} is not a conflict (stage {letter.stage})", 409)


def ensure_not_conflict(letter: DeadLetter) -> None:
    """A conflict is settled by choosing a version; replaying it would only find it again."""
    if letter.stage == CONFLICT_STAGE:
        raise ActionError(f"dead letter {letter.id} is a conflict: resolve it by keeping a or b", 409)


def resolve_conflict(
    store: StateStore, letter: DeadLetter, take: Literal["a", "b"], mappings_dir: Path, user_name: str
) -> ActionResult:
    """Keep side `take`'s version on both systems and close the conflict (see the module docstring)."""
    from officebridge.pair.resolve import resolve  # noqa: PLC0415 - the pair engine only here

    ensure_conflict(letter)
    ensure_open(letter)
    try:
        done = resolve(store, letter.id, take=take, mappings_dir=mappings_dir, by=user_name)
    except RetryLaterError as exc:  # a run of the pair holds its lock
        raise ActionError(redact(str(exc)), 409) from None
    except ConfigError as exc:  # already resolved meanwhile, the pair's file is gone or does not load
        raise ActionError(redact(str(exc)), 409) from None
    except OfficeBridgeError as exc:  # a system refused, is unreachable, or the record is gone
        raise ActionError(redact(str(exc)), 502) from None
    log.info("conflict %s of %s resolved by %s: kept %s", letter.id, done.pair, user_name, take)
    system = pair_systems(mappings_dir, done.pair)[0 if take == "a" else 1]
    kept = f"{take} ({system})" if system else take
    wrote = " and ".join(done.written) or "neither side (they already agreed)"
    fields = ", ".join(done.fields)
    message = f"conflict {letter.id} of {done.pair} resolved: kept {kept} for {fields}; wrote {wrote}"
    return ActionResult(letter.id, letter.sync, "resolve", "resolved", redact(message))


def ignore_letter(store: StateStore, letter: DeadLetter) -> ActionResult:
    changed = store.set_dead_letter_status([letter.id], "ignored")
    if not changed:
        raise ActionError(f"dead letter {letter.id} changed meanwhile; reload", 409)
    return ActionResult(letter.id, letter.sync, "ignore", "ignored", f"record {letter.source_id} ignored")
