"""Fixtures for the Syncs view: a real Airflow API server with the plugin, and its state store.

`airflow_server` is one `airflow api-server` per session (see airflow_server.py).
Its plugin reads one state store file for the whole session, so
`sqlite_state_url` is overridden here to hand that file, wiped clean, to every
test: the `bridge` fixture of the sync integration tests (imported below) then
runs real syncs into exactly the store the server shows.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from connectors.odoo.sandbox import OdooSandbox
from connectors.salesforce.sandbox import SalesforceSandbox
from officebridge.state import StateStore
from officebridge.state.schema import metadata
from tests.e2e.plugin.airflow_server import AirflowServer
from tests.integration.sync.conftest import Bridge, bridge, bridge_on  # noqa: F401 - fixtures reused

__all__ = ["Bridge"]


_shared: list[AirflowServer] = []


@pytest.fixture(scope="session")
def airflow_server(
    tmp_path_factory: pytest.TempPathFactory, sf_sandbox: SalesforceSandbox, odoo_sandbox: OdooSandbox
) -> Iterator[AirflowServer]:
    """The session's server; the browser tests import this fixture and get the same process."""
    if _shared:
        yield _shared[0]
        return
    home = tmp_path_factory.mktemp("airflow-home")
    server = AirflowServer(
        home=home,
        state_url=f"sqlite:///{home / 'officebridge-state.db'}",
        extra_env={
            "AIRFLOW_CONN_SALESFORCE_DEFAULT": sf_sandbox.connection_value(),
            "AIRFLOW_CONN_ODOO_DEFAULT": odoo_sandbox.connection_value(),
        },
    )
    server.start()
    _shared.append(server)
    try:
        yield server
    finally:
        _shared.clear()
        server.stop()


def wipe(state_url: str) -> None:
    """Empty every table of the store (the schema and its migration stamp stay)."""
    with StateStore.open(state_url) as store, store.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(sa.delete(table))


@pytest.fixture
def sqlite_state_url(airflow_server: AirflowServer) -> str:
    wipe(airflow_server.state_url)
    return airflow_server.state_url
