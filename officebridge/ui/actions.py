"""The two repairs an ops engineer can make from the view: replay a dead letter, or ignore it.

Both the HTML buttons and the JSON API call these, so they behave the same:
a letter that is no longer open is refused (someone else got there first),
a replay goes through `officebridge.sync.runner.replay` exactly as
`officebridge dead-letters replay` does (read the record again from the
source, push it through the sync, watermark untouched), and failures come
back as one typed error whose message is safe to show (secrets redacted).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from officebridge.errors import OfficeBridgeError, SyncLockedError
from officebridge.secrets import redact
from officebridge.state import DeadLetter, StateStore


class ActionError(Exception):
    """A repair that could not be done; `status` is the HTTP status the API answers with."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class ActionResult:
    id: int
    sync: str
    action: str  # 'replay' | 'ignore'
    status: str  # the letter's status afterwards: 'replayed', 'open' (still failing), 'ignored'
    message: str
    run_id: int | None = None


def find_letter(store: StateStore, letter_id: int) -> DeadLetter:
    letter = store.dead_letter(letter_id)
    if letter is None:
        raise ActionError(f"dead letter {letter_id} does not exist", 404)
    return letter


def ensure_open(letter: DeadLetter) -> None:
    """Refuse to act twice: whoever acted first decided what happened to the record."""
    if letter.status != "open":
        raise ActionError(f"dead letter {letter.id} is already {letter.status}", 409)


def replay_letter(store: StateStore, letter: DeadLetter, mappings_dir: Path) -> ActionResult:
    from officebridge.sync.runner import replay  # noqa: PLC0415 - pulls in connectors; only on demand

    try:
        [result] = replay(store, [letter], mappings_dir)
    except SyncLockedError:
        raise ActionError(
            f"sync {letter.sync!r} is running right now; replay once it has finished", 409
        ) from None
    except OfficeBridgeError as exc:
        raise ActionError(f"replay of dead letter {letter.id} failed: {redact(str(exc))}", 502) from None
    after = store.dead_letter(letter.id)
    status = after.status if after else "open"
    if result.missing:
        message = f"record {letter.source_id} no longer exists in the source; the letter stays open"
    elif result.still_failing:
        reason = after.message if after else ""
        message = f"record {letter.source_id} still fails: {redact(reason)}"
    else:
        message = f"record {letter.source_id} replayed"
    return ActionResult(letter.id, letter.sync, "replay", status, message, result.run_id)


def replay_sync(store: StateStore, sync: str, mappings_dir: Path) -> ActionResult:
    """Replay every open letter of one sync in one run (after a fix that helps them all)."""
    from officebridge.sync.runner import replay  # noqa: PLC0415

    letters = store.dead_letters(sync, "open", limit=100_000)
    if not letters:
        raise ActionError(f"sync {sync!r} has no open dead letters", 409)
    try:
        [result] = replay(store, letters, mappings_dir)
    except SyncLockedError:
        raise ActionError(f"sync {sync!r} is running right now; replay once it has finished", 409) from None
    except OfficeBridgeError as exc:
        raise ActionError(f"replay of sync {sync!r} failed: {redact(str(exc))}", 502) from None
    message = f"{sync}: replayed {result.replayed}, still failing {result.still_failing}"
    if result.missing:
        message += f", gone from the source {len(result.missing)}"
    status = "replayed" if not result.still_failing and not result.missing else "open"
    return ActionResult(0, sync, "replay", status, message, result.run_id)


def ignore_letter(store: StateStore, letter: DeadLetter) -> ActionResult:
    changed = store.set_dead_letter_status([letter.id], "ignored")
    if not changed:
        raise ActionError(f"dead letter {letter.id} changed meanwhile; reload", 409)
    return ActionResult(letter.id, letter.sync, "ignore", "ignored", f"record {letter.source_id} ignored")
