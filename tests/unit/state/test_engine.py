"""Where the store lives, how SQLite is tuned, and what a failure to open says."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from officebridge.errors import StateError
from officebridge.state import StateStore
from officebridge.state.engine import resolve_url
from officebridge.state.schema import UTCDateTime


def test_default_store_is_a_sqlite_file_under_officebridge_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OFFICEBRIDGE_STATE_URL", raising=False)
    monkeypatch.setenv("OFFICEBRIDGE_HOME", str(tmp_path / "home" / "nested"))
    with StateStore.open() as store:
        assert store.url.database == str(tmp_path / "home" / "nested" / "state.db")
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert int(conn.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) >= 1000
    assert (tmp_path / "home" / "nested" / "state.db").is_file()


def test_home_defaults_to_var_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OFFICEBRIDGE_STATE_URL", raising=False)
    monkeypatch.delenv("OFFICEBRIDGE_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    assert resolve_url().database == str(tmp_path / "var" / "state.db")


def test_state_url_variable_wins_over_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OFFICEBRIDGE_HOME", str(tmp_path / "unused"))
    monkeypatch.setenv("OFFICEBRIDGE_STATE_URL", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    with StateStore.open() as store:
        assert store.url.database == str(tmp_path / "elsewhere.db")
    assert not (tmp_path / "unused").exists()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_database_is_a_state_error_without_the_password() -> None:
    url = f"postgresql+psycopg://ob:hunter2-secret@127.0.0.1:{_closed_port()}/state?connect_timeout=3"
    with pytest.raises(StateError, match="cannot open state store") as caught:
        StateStore.open(url)
    message = str(caught.value)
    assert "hunter2" not in message and "ob:***@127.0.0.1" in message
    assert caught.value.__cause__ is None or "hunter2" not in str(caught.value.__cause__)


def test_the_url_is_masked_in_repr_and_str(state_store: StateStore) -> None:
    url = state_store.url.set(password="p4ssw0rd-x")
    assert "p4ssw0rd" not in str(url) and "p4ssw0rd" not in repr(url)
    assert "p4ssw0rd" not in repr(state_store)


def test_unsupported_or_malformed_urls_are_refused() -> None:
    with pytest.raises(StateError, match="not supported"):
        StateStore.open("mysql+pymysql://u:topsecret@localhost/db")
    with pytest.raises(StateError, match="not a valid SQLAlchemy URL"):
        StateStore.open("this is not a url")


def test_a_file_that_is_not_a_database_is_a_state_error(tmp_path: Path) -> None:
    junk = tmp_path / "state.db"
    junk.write_bytes(b"definitely not sqlite" * 100)
    with pytest.raises(StateError, match=r"cannot open state store sqlite:///.*state\.db"):
        StateStore.open(f"sqlite:///{junk}")


def test_timestamps_round_trip_exactly_and_aware(state_url: str) -> None:
    table = sa.Table("t", sa.MetaData(), sa.Column("at", UTCDateTime()))
    engine = sa.create_engine(state_url)
    try:
        table.create(engine)
        values = [
            datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
            datetime(2024, 1, 1, 1, 0, 0, 1, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        ]
        with engine.begin() as conn:
            conn.execute(table.insert(), [{"at": v} for v in values])
            back = conn.execute(sa.select(table.c.at)).scalars().all()
        assert back == values
        assert all(v.tzinfo is UTC for v in back)
        with pytest.raises(sa.exc.StatementError, match="naive"), engine.begin() as conn:
            conn.execute(table.insert(), {"at": datetime(2024, 1, 1)})
    finally:
        engine.dispose()


def test_a_folder_that_cannot_be_created_is_a_state_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(StateError, match="cannot open state store"):
        StateStore.open(f"sqlite:///{blocker / 'sub' / 'state.db'}")
