"""The state store's public API, on a SQLite file and on real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from officebridge.errors import StateError
from officebridge.secrets import Secret
from officebridge.state import LinkWrite, NewDeadLetter, StateStore
from officebridge.state._sql import IN_CHUNK
from officebridge.state.migrate import head_revision
from officebridge.state.schema import VERSION_TABLE

SYNC = "sf_accounts_to_odoo"


def _writes(n: int, tag: str = "v1") -> list[LinkWrite]:
    return [LinkWrite(f"S{i:05d}", f"{i + 1000}", f"src-{tag}-{i}", f"tgt-{tag}-{i}") for i in range(n)]


def test_open_migrates_an_empty_database_to_head(state_url: str) -> None:
    with StateStore.open(state_url) as store:
        tables = set(sa.inspect(store.engine).get_table_names())
        with store.engine.connect() as conn:
            version = conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    assert {"links", "runs", "watermarks", "dead_letters", "sync_locks", VERSION_TABLE} <= tables
    assert version == head_revision()
    # Opening again is a no-op on an up-to-date database, also without migrating.
    with StateStore.open(state_url, migrate=False) as again:
        assert again.syncs() == []


def test_links_upsert_and_lookup_across_chunks(state_store: StateStore) -> None:
    n = IN_CHUNK * 2 + 137
    run = state_store.start_run(SYNC)
    state_store.commit_batch(SYNC, run, links=_writes(n))
    ids = [f"S{i:05d}" for i in range(n)]

    found = state_store.links(SYNC, [*ids, "missing"])
    assert len(found) == n and "missing" not in found
    assert found["S01000"].target_id == "2000"
    assert found["S01000"].source_hash == "src-v1-1000" and found["S01000"].target_hash == "tgt-v1-1000"
    assert found["S00000"].state == "active" and found["S00000"].synced_at.tzinfo is not None

    # Upsert: half of them get new hashes; no duplicates appear.
    state_store.commit_batch(SYNC, run, links=_writes(n // 2, tag="v2"))
    again = state_store.links(SYNC, ids)
    assert len(again) == n
    assert again["S00001"].source_hash == "src-v2-1"
    assert again[ids[-1]].source_hash == f"src-v1-{n - 1}"

    targets = state_store.target_ids(SYNC, ids)
    assert len(targets) == n and targets["S00042"] == "1042"
    by_target = state_store.links_by_target(SYNC, [str(i + 1000) for i in range(n)])
    assert len(by_target) == n and by_target["1042"].source_id == "S00042"

    assert state_store.links("another_sync", ids) == {}
    assert state_store.links(SYNC, []) == {}


def test_deleted_links_keep_their_pairing_but_stop_resolving_references(state_store: StateStore) -> None:
    run = state_store.start_run(SYNC)
    state_store.commit_batch(SYNC, run, links=_writes(5))
    state_store.commit_batch(SYNC, run, deleted=["S00001", "S00003", "never-linked"])

    links = state_store.links(SYNC, ["S00001", "S00002"])
    assert links["S00001"].state == "deleted" and links["S00001"].target_id == "1001"
    assert links["S00002"].state == "active"
    assert set(state_store.target_ids(SYNC, ["S00001", "S00002"])) == {"S00002"}
    assert state_store.links_by_target(SYNC, ["1001"])["1001"].state == "deleted"

    # A record that comes back is linked again (state active).
    state_store.commit_batch(SYNC, run, links=[LinkWrite("S00001", "1001", "back", None)])
    assert state_store.links(SYNC, ["S00001"])["S00001"].state == "active"


def test_iter_links_streams_in_pages(state_store: StateStore) -> None:
    run = state_store.start_run(SYNC)
    state_store.commit_batch(SYNC, run, links=_writes(1050))
    state_store.commit_batch(SYNC, run, deleted=["S00000", "S00500"])
    state_store.commit_batch("other", state_store.start_run("other"), links=_writes(3))

    pages = list(state_store.iter_links(SYNC, batch=300))
    assert [len(p) for p in pages] == [300, 300, 300, 150]
    ids = [link.source_id for page in pages for link in page]
    assert ids == sorted(ids) and len(set(ids)) == 1050
    active = [link for page in state_store.iter_links(SYNC, batch=1000, state="active") for link in page]
    assert len(active) == 1048
    assert list(state_store.iter_links("nobody")) == []


def test_watermark_is_lossless_and_never_moves_backwards(state_store: StateStore) -> None:
    run = state_store.start_run(SYNC)
    assert state_store.watermark(SYNC) is None
    t1 = datetime(2024, 5, 17, 10, 30, 15, 123456, tzinfo=UTC)
    state_store.commit_batch(SYNC, run, watermark=t1)
    stored = state_store.watermark(SYNC)
    assert stored == t1 and stored is not None and stored.utcoffset() == timedelta(0)

    state_store.commit_batch(SYNC, run, watermark=t1 - timedelta(microseconds=1))
    assert state_store.watermark(SYNC) == t1

    # The same instant in another zone is converted, not misread.
    plus_two = timezone(timedelta(hours=2))
    t2 = datetime(2024, 5, 17, 12, 30, 15, 123457, tzinfo=plus_two)
    state_store.commit_batch(SYNC, run, watermark=t2)
    assert state_store.watermark(SYNC) == t1 + timedelta(microseconds=1)
    assert state_store.watermark("other") is None

    # A full resync forgets it on purpose; then any value is accepted again.
    assert state_store.reset_watermark(SYNC) is True
    assert state_store.watermark(SYNC) is None and state_store.reset_watermark(SYNC) is False
    state_store.commit_batch(SYNC, run, watermark=t1 - timedelta(days=1))
    assert state_store.watermark(SYNC) == t1 - timedelta(days=1)


def test_a_token_watermark_is_replaced_by_each_newer_commit(state_store: StateStore) -> None:
    run = state_store.start_run(SYNC)
    state_store.commit_batch(SYNC, run, watermark="cursor:0042")
    assert state_store.watermark(SYNC) == "cursor:0042"
    # opaque: no order is read from it, the newer commit wins even when it "sorts" lower
    state_store.commit_batch(SYNC, run, watermark="cursor:0007")
    assert state_store.watermark(SYNC) == "cursor:0007"
    # a batch that commits no watermark leaves the token alone
    state_store.commit_batch(SYNC, run, counts={"read": 1})
    assert state_store.watermark(SYNC) == "cursor:0007"
    assert {s.sync: s.watermark for s in state_store.syncs()}[SYNC] == "cursor:0007"
    # a sync that switches to a timestamp cursor replaces the token with a time, then moves forward only
    t1 = datetime(2024, 5, 17, tzinfo=UTC)
    state_store.commit_batch(SYNC, run, watermark=t1)
    state_store.commit_batch(SYNC, run, watermark=t1 - timedelta(days=1))
    assert state_store.watermark(SYNC) == t1
    assert state_store.reset_watermark(SYNC) is True and state_store.watermark(SYNC) is None


def test_an_empty_token_is_refused_and_nothing_is_written(state_store: StateStore) -> None:
    run = state_store.start_run(SYNC)
    with pytest.raises(ValueError, match="empty"):
        state_store.commit_batch(SYNC, run, links=_writes(2), watermark="")
    assert state_store.links(SYNC, ["S00000"]) == {} and state_store.watermark(SYNC) is None


def test_naive_watermark_is_refused_and_nothing_is_written(state_store: StateStore) -> None:
    run = state_store.start_run(SYNC)
    with pytest.raises(ValueError, match="naive"):
        state_store.commit_batch(SYNC, run, links=_writes(3), watermark=datetime(2024, 1, 1))
    assert state_store.links(SYNC, ["S00000"]) == {}


def test_commit_batch_is_all_or_nothing(state_store: StateStore) -> None:
    run = state_store.start_run(SYNC)
    state_store.commit_batch(SYNC, run, links=_writes(2), watermark=datetime(2024, 1, 1, tzinfo=UTC))
    broken = NewDeadLetter("S00009", "write", "E", None, {})  # type: ignore[arg-type]  # NOT NULL violation
    with pytest.raises(StateError, match="nothing was written"):
        state_store.commit_batch(
            SYNC,
            run,
            links=_writes(600, tag="v2"),
            deleted=["S00000"],
            dead_letters=[NewDeadLetter("S00007", "map", "E", "fine", {}), broken],
            counts={"created": 600},
            watermark=datetime(2025, 1, 1, tzinfo=UTC),
        )
    links = state_store.links(SYNC, [w.source_id for w in _writes(600)])
    assert set(links) == {"S00000", "S00001"}
    assert links["S00000"].state == "active" and links["S00000"].source_hash == "src-v1-0"
    assert state_store.dead_letters(SYNC) == []
    assert state_store.last_run(SYNC).counts["created"] == 0  # type: ignore[union-attr]
    assert state_store.watermark(SYNC) == datetime(2024, 1, 1, tzinfo=UTC)


def test_commit_batch_checks_the_run(state_store: StateStore) -> None:
    other = state_store.start_run("other")
    with pytest.raises(StateError, match="belongs to sync 'other'"):
        state_store.commit_batch(SYNC, other, links=_writes(1))
    with pytest.raises(StateError, match="run 999999 does not exist"):
        state_store.commit_batch(SYNC, 999999, links=_writes(1))
    with pytest.raises(ValueError, match="unknown run count"):
        state_store.commit_batch(SYNC, other, counts={"exploded": 1})
    assert state_store.links(SYNC, ["S00000"]) == {}


def test_dead_letters_bump_resolve_and_reopen(state_store: StateStore) -> None:
    run1 = state_store.start_run(SYNC)
    state_store.commit_batch(
        SYNC,
        run1,
        dead_letters=[
            NewDeadLetter("A1", "map", "BAD_DATE", "cannot parse 'x'", {"CloseDate": "x"}),
            NewDeadLetter("A2", "validate", "SCHEMA", "email is not an email", {"Email": "nope"}),
        ],
    )
    first = state_store.dead_letters(SYNC)
    assert [(d.source_id, d.attempts, d.status) for d in first] == [("A2", 1, "open"), ("A1", 1, "open")]

    run2 = state_store.start_run(SYNC)
    state_store.commit_batch(
        SYNC, run2, dead_letters=[NewDeadLetter("A1", "write", "DUPLICATE", "dup name", {"Name": "Acme"})]
    )
    open_ = {d.source_id: d for d in state_store.dead_letters(SYNC)}
    assert len(open_) == 2
    a1 = open_["A1"]
    assert (a1.attempts, a1.stage, a1.error_code, a1.message) == (2, "write", "DUPLICATE", "dup name")
    assert a1.payload == {"Name": "Acme"} and a1.run_id == run2
    assert a1.updated_at >= a1.created_at and a1.created_at == state_store.dead_letter(a1.id).created_at  # type: ignore[union-attr]

    # A1 went through: its open letter is marked replayed.
    state_store.commit_batch(SYNC, run2, links=[LinkWrite("A1", "77")], resolved=["A1"])
    assert [d.source_id for d in state_store.dead_letters(SYNC)] == ["A2"]
    assert state_store.dead_letter(a1.id).status == "replayed"  # type: ignore[union-attr]

    # It fails again later: a fresh open letter, the replayed one stays history.
    state_store.commit_batch(SYNC, run2, dead_letters=[NewDeadLetter("A1", "write", "E", "again", {})])
    letters = state_store.dead_letters(SYNC, status=None)
    assert sorted((d.source_id, d.status, d.attempts) for d in letters) == [
        ("A1", "open", 1),
        ("A1", "replayed", 2),
        ("A2", "open", 1),
    ]
    assert state_store.dead_letters(status="replayed")[0].id == a1.id
    assert state_store.dead_letter(987654) is None
    assert len(state_store.dead_letters(SYNC, status=None, limit=2)) == 2


def test_set_dead_letter_status(state_store: StateStore) -> None:
    run = state_store.start_run(SYNC)
    state_store.commit_batch(
        SYNC, run, dead_letters=[NewDeadLetter(f"R{i}", "lookup", "NO_TARGET", "m", {}) for i in range(3)]
    )
    ids = [d.id for d in state_store.dead_letters(SYNC)]
    assert state_store.set_dead_letter_status(ids[:2], "ignored") == 2
    assert state_store.set_dead_letter_status(ids[:2], "ignored") == 0  # already ignored
    assert [d.id for d in state_store.dead_letters(SYNC)] == ids[2:]
    assert {d.status for d in state_store.dead_letters(SYNC, status="ignored")} == {"ignored"}
    with pytest.raises(ValueError, match="status"):
        state_store.set_dead_letter_status(ids, "deleted")


def test_dead_letter_payloads_keep_odd_values_and_lose_secrets(state_store: StateStore) -> None:
    token = Secret("tok-9f8e7d6c5b4a")
    run = state_store.start_run(SYNC)
    payload = {
        "Amount": Decimal("12.50"),
        "When": datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC),
        "Note": f"auth {token.reveal()}",
    }
    state_store.commit_batch(
        SYNC, run, dead_letters=[NewDeadLetter("P1", "write", "E", f"rejected {token.reveal()}", payload)]
    )
    [letter] = state_store.dead_letters(SYNC)
    assert letter.payload == {"Amount": "12.50", "When": "2024-02-03T04:05:06+00:00", "Note": "auth ***"}
    assert letter.message == "rejected ***"
    state_store.finish_run(run, status="failed", error=f"boom {token.reveal()}")
    assert state_store.last_run(SYNC).error == "boom ***"  # type: ignore[union-attr]


def test_dead_letters_of_one_stage_are_filtered_before_the_limit(state_store: StateStore) -> None:
    run = state_store.start_run(SYNC)
    conflict = NewDeadLetter("C1", "conflict", "CONFLICT", "both sides changed Phone", {})
    others = [NewDeadLetter(f"W{i}", "write", "WRITE_FAILED", "refused", {}) for i in range(5)]
    state_store.commit_batch(SYNC, run, dead_letters=[conflict, *others])  # the conflict is the oldest
    # five newer letters of other stages do not crowd the conflict out of a limit of 3
    assert [d.source_id for d in state_store.dead_letters(SYNC, limit=3, stage="conflict")] == ["C1"]
    assert len(state_store.dead_letters(SYNC, limit=3, stage="write")) == 3
    assert state_store.dead_letters(SYNC, stage="map") == []
    with pytest.raises(ValueError, match="stage must be one of"):
        state_store.dead_letters(SYNC, stage="conflicts")


def test_new_dead_letter_rejects_unknown_stage() -> None:
    with pytest.raises(ValueError, match="stage"):
        NewDeadLetter("x", "teleport", "E", "m", {})


def test_runs_counts_and_summaries(state_store: StateStore) -> None:
    r1 = state_store.start_run(SYNC, trigger="airflow", detail={"dag_run_id": "scheduled__1"})
    started = state_store.last_run(SYNC)
    assert started is not None and started.status == "running" and started.finished_at is None
    assert started.trigger == "airflow" and started.detail == {"dag_run_id": "scheduled__1"}
    state_store.commit_batch(SYNC, r1, links=_writes(3), counts={"read": 5, "created": 3, "failed": 2})
    state_store.commit_batch(SYNC, r1, counts={"read": 4, "unchanged": 4})
    done = state_store.finish_run(r1, status="partial", detail={"quality": {"passed": 3}})
    assert done.counts == {
        "read": 9,
        "created": 3,
        "updated": 0,
        "unchanged": 4,
        "skipped": 0,
        "failed": 2,
        "deleted": 0,
    }
    assert done.detail == {"dag_run_id": "scheduled__1", "quality": {"passed": 3}}
    assert done.finished_at is not None and done.finished_at >= done.started_at
    with pytest.raises(ValueError):
        state_store.finish_run(r1, status="running")
    with pytest.raises(StateError, match="does not exist"):
        state_store.finish_run(424242, status="failed")

    r2 = state_store.start_run(SYNC)
    r3 = state_store.start_run("odoo_invoices_to_sf")
    state_store.commit_batch(
        "odoo_invoices_to_sf",
        r3,
        dead_letters=[NewDeadLetter("9", "map", "E", "m", {})],
        watermark=datetime(2024, 3, 1, tzinfo=UTC),
    )
    assert [r.id for r in state_store.runs()] == [r3, r2, r1]
    assert [r.id for r in state_store.runs(SYNC, limit=1)] == [r2]
    assert state_store.last_run("nobody") is None
    assert state_store.run(r1) == done

    summaries = {s.sync: s for s in state_store.syncs()}
    assert set(summaries) == {SYNC, "odoo_invoices_to_sf"}
    last = summaries[SYNC].last_run
    assert last is not None and last.id == r2
    assert (summaries[SYNC].links, summaries[SYNC].open_dead_letters, summaries[SYNC].watermark) == (
        3,
        0,
        None,
    )
    inv = summaries["odoo_invoices_to_sf"]
    assert (inv.links, inv.open_dead_letters) == (0, 1)
    assert inv.watermark == datetime(2024, 3, 1, tzinfo=UTC)
