"""The Alembic migrations: they build what the models describe, and unknown revisions are refused."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from officebridge.errors import StateError
from officebridge.state import NewDeadLetter, StateStore
from officebridge.state.engine import IMMEDIATE, create_engine, resolve_url
from officebridge.state.migrate import alembic_config, head_revision
from officebridge.state.schema import VERSION_TABLE, metadata


def _diff(engine: sa.Engine, target: sa.MetaData) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={"compare_type": True, "compare_server_default": True, "version_table": VERSION_TABLE},
        )
        return list(compare_metadata(context, target))


def test_migrated_schema_matches_the_models(state_url: str) -> None:
    with StateStore.open(state_url) as store:
        assert _diff(store.engine, metadata) == []

        # The comparison is able to see a difference (so the empty diff above means something).
        changed = sa.MetaData()
        for table in metadata.tables.values():
            table.to_metadata(changed)
        changed.tables["links"].append_column(sa.Column("extra", sa.String(10)))
        changed.tables["runs"].c.error.type = sa.Integer()
        diff = _diff(store.engine, changed)
        assert any("extra" in repr(d) for d in diff)
        assert any("modify_type" in repr(d) for d in diff)


def test_downgrade_to_empty_and_upgrade_again(state_url: str) -> None:
    StateStore.open(state_url).close()
    engine = create_engine(resolve_url(state_url))
    try:
        config = alembic_config()
        with engine.connect() as conn:
            config.attributes["connection"] = conn.execution_options(**{IMMEDIATE: True})
            command.downgrade(config, "base")
        assert set(sa.inspect(engine).get_table_names()) <= {VERSION_TABLE}
    finally:
        engine.dispose()
    with StateStore.open(state_url) as store:
        assert "dead_letters" in sa.inspect(store.engine).get_table_names()


def test_a_newer_revision_is_refused_with_a_clear_message(state_url: str) -> None:
    StateStore.open(state_url).close()
    engine = create_engine(resolve_url(state_url))
    with engine.begin() as conn:
        conn.execute(sa.text(f"UPDATE {VERSION_TABLE} SET version_num = '9999_from_the_future'"))
    engine.dispose()
    with pytest.raises(StateError, match=r"9999_from_the_future.*does not know") as caught:
        StateStore.open(state_url)
    assert head_revision() in str(caught.value)


def test_migrate_false_refuses_an_empty_database(state_url: str) -> None:
    with pytest.raises(StateError, match="empty"):
        StateStore.open(state_url, migrate=False)


def test_concurrent_opens_of_a_fresh_database_migrate_once(state_url: str) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def open_it() -> None:
        try:
            start.wait()
            StateStore.open(state_url).close()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with StateStore.open(state_url, migrate=False) as store, store.engine.connect() as conn:
        assert conn.execute(sa.text(f"SELECT count(*) FROM {VERSION_TABLE}")).scalar() == 1


@pytest.mark.slow  # four interpreters importing SQLAlchemy + Alembic
def test_concurrent_opens_from_several_processes_migrate_once(state_url: str) -> None:
    script = "import sys; from officebridge.state import StateStore; StateStore.open(sys.argv[1]).close()"
    procs = [
        subprocess.Popen([sys.executable, "-c", script, state_url], stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    failures = [err for p in procs if (err := p.communicate(timeout=60)[1]) and p.returncode != 0]
    assert failures == []
    with StateStore.open(state_url, migrate=False) as store, store.engine.connect() as conn:
        assert conn.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all() == [
            head_revision()
        ]


def _alembic(state_url: str, action: str, revision: str) -> None:
    engine = create_engine(resolve_url(state_url))
    try:
        config = alembic_config()
        with engine.connect() as conn:
            config.attributes["connection"] = conn.execution_options(**{IMMEDIATE: True})
            getattr(command, action)(config, revision)
    finally:
        engine.dispose()


def test_token_watermark_migration_keeps_every_stored_time(state_url: str) -> None:
    """0001 -> 0002 keeps each stored watermark exactly; 0002 -> 0001 drops only token rows."""
    _alembic(state_url, "upgrade", "0001_initial")
    engine = create_engine(resolve_url(state_url))
    stamp = "2024-05-17 10:30:15.123456"  # SQLite's stored form; PostgreSQL casts it (UTC session)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO runs (sync, status, trigger, started_at, detail) "
                "VALUES ('a', 'succeeded', 'cli', :t, '{}')"
            ),
            {"t": stamp},
        )
        for sync in ("a", "b"):
            conn.execute(
                sa.text("INSERT INTO watermarks (sync, value, updated_at, run_id) VALUES (:s, :t, :t, 1)"),
                {"s": sync, "t": stamp},
            )
    engine.dispose()
    with StateStore.open(state_url) as store:  # migrates to head
        expected = datetime(2024, 5, 17, 10, 30, 15, 123456, tzinfo=UTC)
        assert store.watermark("a") == store.watermark("b") == expected
        assert store.run(1) is not None and store.run(1).sync == "a"  # type: ignore[union-attr]
        store.commit_batch("b", store.start_run("b"), watermark="page-7")
        assert store.watermark("b") == "page-7"
        assert _diff(store.engine, metadata) == []

    _alembic(state_url, "downgrade", "0001_initial")  # a token has no place in 0001: that row goes
    engine = create_engine(resolve_url(state_url))
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT sync FROM watermarks ORDER BY sync")).scalars().all()
    engine.dispose()
    assert rows == ["a"]
    with StateStore.open(state_url) as store:
        assert store.watermark("a") == datetime(2024, 5, 17, 10, 30, 15, 123456, tzinfo=UTC)


def test_the_database_refuses_a_watermark_row_with_both_or_neither_kind(state_store: StateStore) -> None:
    run = state_store.start_run("s")
    for value, token in ((None, None), ("2024-01-01 00:00:00", "t")):
        with pytest.raises(sa.exc.IntegrityError), state_store.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO watermarks (sync, value, token, updated_at, run_id) "
                    "VALUES ('s', :v, :t, '2024-01-01 00:00:00', :r)"
                ),
                {"v": value, "t": token, "r": run},
            )


def test_dead_letter_code_index_migration_keeps_every_letter(state_url: str) -> None:
    """0002 -> 0003 adds the (sync, error_code, status, id) index, rewrites nothing; down drops it only."""
    name = "ix_dead_letters_sync_error_code_status_id"
    with StateStore.open(state_url) as store:
        run_id = store.start_run("a")
        store.commit_batch("a", run_id, dead_letters=[
            NewDeadLetter(f"S{i}", "write", "OUTCOME_UNKNOWN" if i % 3 else "WRITE_FAILED", f"m{i}", {"i": i})
            for i in range(30)
        ])  # fmt: skip
        before = {(d.source_id, d.error_code, d.status, d.message) for d in store.dead_letters("a", None)}
    _alembic(state_url, "downgrade", "0002_token_watermarks")
    engine = create_engine(resolve_url(state_url))
    assert name not in {ix["name"] for ix in sa.inspect(engine).get_indexes("dead_letters")}
    engine.dispose()
    with StateStore.open(state_url) as store:  # migrates to head again
        assert name in {ix["name"] for ix in sa.inspect(store.engine).get_indexes("dead_letters")}
        after = {(d.source_id, d.error_code, d.status, d.message) for d in store.dead_letters("a", None)}
        assert after == before and len(after) == 30
        assert _diff(store.engine, metadata) == []
        unknown = store.open_letters_page("a", "OUTCOME_UNKNOWN", before=datetime.now(UTC), limit=100)
        assert [d.source_id for d in unknown] == [f"S{i}" for i in range(30) if i % 3]
