"""Write the sandboxes' connections into Airflow's metadata DB, for `make airflow`.

An `AIRFLOW_CONN_*` variable hides a connection from Airflow's Connections page
and silently wins over one edited there, so `make airflow` does not export
them: it stores each sandbox connection in the metadata DB, where ops engineers
see and change it. A connection is only written when it is missing, or when it
still holds exactly what this script wrote last time (the sandbox moved to
another port); one that someone changed in Airflow is kept, and said so. What
was written is remembered in `$OFFICEBRIDGE_HOME/airflow-connections.json`
(connection ids and a digest, never a secret).

Run as `python -m officebridge.airflow.sandbox_connections` with AIRFLOW_HOME set.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from officebridge import sandboxes, settings

PREFIX = "AIRFLOW_CONN_"


def digest(uri: str) -> str:
    return hashlib.sha256(uri.encode()).hexdigest()


def wanted(home: Path) -> dict[str, str]:
    """Connection id -> value (URI or JSON) of every running sandbox, from the sandbox.env `up` wrote."""
    env = sandboxes.load_env(home)
    return {k.removeprefix(PREFIX).lower(): v for k, v in env.items() if k.startswith(PREFIX)}


def _connection(conn_id: str, value: str) -> Any:
    from airflow.models.connection import Connection  # noqa: PLC0415 - Airflow only here

    if value.lstrip().startswith("{"):
        return Connection.from_json(value, conn_id=conn_id)
    return Connection(conn_id=conn_id, uri=value)


def sync_connections(home: Path) -> list[str]:
    """Add or refresh the sandbox connections; one line per connection saying what was done."""
    from airflow.models.connection import Connection  # noqa: PLC0415
    from airflow.utils.session import create_session  # noqa: PLC0415

    memo = home / "airflow-connections.json"
    written: dict[str, str] = json.loads(memo.read_text()) if memo.exists() else {}
    said = []
    with create_session() as session:
        for conn_id, value in sorted(wanted(home).items()):
            new = _connection(conn_id, value)
            old = session.query(Connection).filter(Connection.conn_id == conn_id).one_or_none()
            if old is None:
                session.add(new)
                said.append(f"{conn_id}: added to Airflow's metadata DB")
            elif digest(old.get_uri()) == digest(new.get_uri()):
                said.append(f"{conn_id}: already in Airflow's metadata DB")
            elif written.get(conn_id) == digest(old.get_uri()):
                session.delete(old)
                session.flush()
                session.add(new)
                said.append(f"{conn_id}: updated in Airflow's metadata DB (the sandbox moved)")
            else:
                said.append(f"{conn_id}: kept as changed in Airflow (Admin > Connections); not overwritten")
                continue
            written[conn_id] = digest(new.get_uri())
    memo.write_text(json.dumps(written, indent=1, sort_keys=True))
    return said


def main() -> int:
    for line in sync_connections(settings.home()):
        print(f"connection {line}")
    for name in sorted(k for k in os.environ if k.startswith(PREFIX)):
        print(f"warning: {name} is set in this shell: Airflow uses it instead of the Connections page "
              f"(unset it to use the metadata DB)", file=sys.stderr)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
