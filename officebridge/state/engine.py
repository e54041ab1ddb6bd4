"""Where the state store lives, and an engine tuned for it.

The URL comes from an argument, else `OFFICEBRIDGE_STATE_URL`, else a SQLite
file `$OFFICEBRIDGE_HOME/state.db` (home defaults to `./var`), so the CLI
works with no configuration and production points at PostgreSQL by one
variable. SQLite gets WAL (readers never block the writer), enforced foreign
keys and a busy timeout; its driver's implicit transactions are replaced by
explicit `BEGIN` (or `BEGIN IMMEDIATE` for write transactions, so two writers
queue on the busy timeout instead of failing on a read-to-write upgrade).
URLs are only ever shown with the password masked.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url

from officebridge.errors import StateError

BUSY_TIMEOUT_MS = 30_000
IMMEDIATE = "officebridge_immediate"  # execution option: open a write transaction on SQLite


def resolve_url(url: str | URL | None = None) -> URL:
    """The store URL from the argument, the environment, or the default SQLite file."""
    if url is None:
        url = os.environ.get("OFFICEBRIDGE_STATE_URL") or None
    if url is None:
        home = Path(os.environ.get("OFFICEBRIDGE_HOME") or "./var")
        url = URL.create("sqlite", database=str(home.resolve() / "state.db"))
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except sa.exc.ArgumentError as exc:
        raise StateError(f"state store URL is not a valid SQLAlchemy URL: {exc}") from None
    return parsed


def masked(url: URL) -> str:
    """The URL as text with its password replaced by ***."""
    return url.render_as_string(hide_password=True)


def _json_default(value: Any) -> Any:
    """Make record values JSON-safe, so a dead letter is never lost to its own payload."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def create_engine(url: URL) -> Engine:
    """An engine for `url`; creates the folder of a SQLite file if needed."""
    is_sqlite = url.get_backend_name() == "sqlite"
    if is_sqlite and url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {
        "hide_parameters": True,  # record data must not end up in error messages or logs
        "json_serializer": partial(json.dumps, default=_json_default, ensure_ascii=False),
        "pool_pre_ping": not is_sqlite,
    }
    if is_sqlite:
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_MS / 1000}
    engine = sa.create_engine(url, **kwargs)
    if is_sqlite:
        _tune_sqlite(engine)
    return engine


def _switch_to_wal(cursor: Any) -> None:
    """Turn WAL on. Switching needs an exclusive lock and SQLite does not wait on the busy
    timeout for it, so several processes opening a fresh file at once retry briefly."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _tune_sqlite(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            _switch_to_wal(cursor)
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """One write transaction: committed on success, rolled back on any exception."""
    with engine.connect() as raw:
        conn = raw.execution_options(**{IMMEDIATE: True})
        with conn.begin():
            yield conn
