"""IN_FLIGHT markers in the state store, on SQLite and PostgreSQL.

A marker stands for a create being sent; the same run's outcome replaces it
without counting a second attempt; a success deletes a marker that stood for no
earlier failure and resolves ('replayed') one that replaced an open letter.
"""

from __future__ import annotations

from officebridge.state import NewDeadLetter, StateStore
from officebridge.state.dead_letters import IN_FLIGHT

SYNC = "log"


def marker(source_id: str) -> NewDeadLetter:
    return NewDeadLetter(source_id, "write", IN_FLIGHT, "in flight: sent", {"values": {}})


def letters(store: StateStore) -> dict[str, tuple[str, str, int]]:
    return {d.source_id: (d.status, d.error_code, d.attempts) for d in store.dead_letters(SYNC, None, 100)}


def test_the_outcome_of_a_marker_replaces_it_as_the_same_attempt(state_store: StateStore) -> None:
    run = state_store.start_run(SYNC)
    state_store.commit_batch(SYNC, run, dead_letters=[marker("a"), marker("b"), marker("c")])
    refused = NewDeadLetter("b", "write", "WRITE_FAILED", "refused", {})
    state_store.commit_batch(SYNC, run, resolved=["a"], dead_letters=[refused])
    assert letters(state_store) == {  # a: landed, no trace; b: one failed attempt; c: still in flight
        "b": ("open", "WRITE_FAILED", 1),
        "c": ("open", IN_FLIGHT, 1),
    }


def test_a_marker_over_an_earlier_failure_counts_an_attempt_and_resolves_it(state_store: StateStore) -> None:
    first = state_store.start_run(SYNC)
    state_store.commit_batch(
        SYNC, first, dead_letters=[NewDeadLetter("a", "write", "WRITE_FAILED", "no", {})]
    )
    second = state_store.start_run(SYNC)
    state_store.commit_batch(SYNC, second, dead_letters=[marker("a")])
    assert letters(state_store) == {"a": ("open", IN_FLIGHT, 2)}
    state_store.commit_batch(SYNC, second, resolved=["a"])
    assert letters(state_store) == {"a": ("replayed", IN_FLIGHT, 2)}


def test_a_marker_left_by_a_stopped_run_is_a_new_attempt_for_the_next(state_store: StateStore) -> None:
    killed = state_store.start_run(SYNC)
    state_store.commit_batch(SYNC, killed, dead_letters=[marker("a")])
    replay = state_store.start_run(SYNC, trigger="replay")
    state_store.commit_batch(SYNC, replay, dead_letters=[marker("a")])
    assert letters(state_store) == {"a": ("open", IN_FLIGHT, 2)}
    assert state_store.open_letter_ids(SYNC, IN_FLIGHT, after=state_store.runs(SYNC)[1].started_at) == {"a"}
