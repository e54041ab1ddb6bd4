"""The HubSpot connection contract: what an Airflow connection of type `hubspot` must hold.

password = the private app's access token (sent as `Authorization: Bearer`);
host = the API base URL when it is not https://api.hubapi.com (a sandbox; only
https, as TLS verification is never switched off); extra.ca_file = a CA bundle
to trust; extra.timeout = seconds before an unanswered call is abandoned;
extra.search_per_second = how fast to call search (HubSpot allows 4/s per token).
Every problem is reported at once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from officebridge.connections import Connection
from officebridge.errors import ConfigError
from officebridge.secrets import Secret

DEFAULT_HOST = "https://api.hubapi.com"
DEFAULT_TIMEOUT = 60.0
CONNECT_TIMEOUT = 10.0


@dataclass(frozen=True)
class HubSpotSettings:
    conn_id: str
    token: Secret
    host: str
    ca_file: str | None
    timeout: float
    search_per_second: float


def _number(raw: object, name: str, problems: list[str], default: float) -> float:
    if raw in (None, ""):
        return default
    try:
        value = float(str(raw))
        if value <= 0:
            raise ValueError
    except ValueError:
        problems.append(f"{name} {raw!r} must be a positive number")
        return default
    return value


def settings_from_connection(conn: Connection) -> HubSpotSettings:
    extra = conn.extra or {}
    problems: list[str] = []
    if not conn.password:
        problems.append("password (the private app access token) is empty")
    host = (conn.host or DEFAULT_HOST).strip().rstrip("/")
    if "://" not in host:
        host = "https://" + host
    if conn.port and urlsplit(host).port is None:
        host = f"{host}:{conn.port}"
    parts = urlsplit(host)
    if parts.scheme != "https" or not parts.hostname:
        problems.append(f"host {host!r} must be an https:// URL with a host name")
    ca_file = extra.get("ca_file") or None
    if ca_file is not None and not os.path.isfile(str(ca_file)):
        problems.append(f"ca_file {ca_file!r} does not exist or is not a file")
    timeout = _number(extra.get("timeout"), "timeout", problems, DEFAULT_TIMEOUT)
    pace = _number(extra.get("search_per_second"), "search_per_second", problems, 4.0)
    if problems:
        listed = "\n  - ".join(problems)
        raise ConfigError(f"HubSpot connection {conn.conn_id!r} is not usable:\n  - {listed}")
    return HubSpotSettings(
        conn.conn_id, conn.password, host, str(ca_file) if ca_file else None, timeout, pace
    )
