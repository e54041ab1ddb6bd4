"""A connector on the fresh sandbox, with fast retries, and a raw client for looking behind it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import hubspot
import pytest
import urllib3

from connectors.hubspot.connector import HubSpotConnector
from connectors.hubspot.sandbox import HubSpotSandbox
from officebridge.connections import parse_connection
from officebridge.retry import RetryPolicy
from officebridge.secrets import Secret

FAST = RetryPolicy(attempts=5, base=0.01, cap=0.05)


def connector_for(
    sb: HubSpotSandbox, token: str | None = None, policy: RetryPolicy = FAST
) -> HubSpotConnector:
    conn = parse_connection("hubspot_default", sb.connection_value())
    if token is not None:
        conn = type(conn)(
            conn.conn_id,
            conn.conn_type,
            conn.host,
            conn.port,
            conn.login,
            Secret(token),
            conn.schema,
            conn.extra,
        )
    return HubSpotConnector(conn, retry_policy=policy)


@pytest.fixture
def hs(hs_fresh: HubSpotSandbox) -> Iterator[HubSpotConnector]:
    c = connector_for(hs_fresh)
    yield c
    c.close()


@pytest.fixture
def raw_client(hs_fresh: HubSpotSandbox) -> Any:
    """hubspot-api-client itself, pointed at the sandbox, for what the connector does not do."""
    return hubspot.Client.create(
        access_token=hs_fresh.token,
        host=hs_fresh.url,
        ssl_ca_cert=str(hs_fresh.ca_file),
        retry=urllib3.Retry(0),
    )
