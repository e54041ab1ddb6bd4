"""The Salesforce connection contract: what an Airflow connection must hold.

We read the same fields as Airflow's Salesforce provider (login = username,
password, extra: security_token, domain, instance_url, version) plus two of our
own: `ca_file`, a CA bundle to trust for TLS (verification is never switched
off), and `timeout`, seconds before an unanswered request is abandoned. Every
problem in a connection is reported at once, so a person fixes it in one go.
Older Airflow versions prefix extras with `extra__salesforce__`; both spellings
are accepted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from connectors.salesforce.manifest import MANIFEST
from officebridge.connections import Connection
from officebridge.errors import ConfigError
from officebridge.secrets import Secret

DEFAULT_CONN_ID = MANIFEST.connection.default_conn_id
DEFAULT_VERSION = "59.0"
DEFAULT_TIMEOUT = 120.0  # seconds to wait for an answer; long SOQL pages can be slow
CONNECT_TIMEOUT = 10.0  # seconds to open a TCP/TLS connection
_LEGACY_PREFIX = "extra__salesforce__"


@dataclass(frozen=True)
class SalesforceSettings:
    conn_id: str
    username: str
    password: Secret
    security_token: Secret
    domain: str
    login_url: str | None  # base URL to post the SOAP login to (instead of https://{domain}.salesforce.com)
    version: str
    ca_file: str | None  # None: the default trust store (REQUESTS_CA_BUNDLE or certifi)
    timeout: float

    @property
    def login_endpoint(self) -> str:
        """Where login goes, for messages (never carries credentials)."""
        return self.login_url or f"https://{self.domain}.salesforce.com"


def _extra(extra: dict[str, Any], key: str) -> Any:
    value = extra.get(key)
    if value in (None, ""):
        value = extra.get(_LEGACY_PREFIX + key)
    return None if value in (None, "") else value


def _normalise_url(raw: str) -> str:
    url = raw.strip().rstrip("/")
    return url if "://" in url else "https://" + url


def settings_from_connection(conn: Connection) -> SalesforceSettings:
    """Validate `conn` and return typed settings; raise ConfigError listing every problem."""
    extra = conn.extra or {}
    problems: list[str] = []
    if not conn.login:
        problems.append("login (the Salesforce username) is empty")
    if not conn.password:
        problems.append("password is empty")

    raw_url = _extra(extra, "instance_url") or conn.host
    login_url = _normalise_url(str(raw_url)) if raw_url else None
    if login_url is not None:
        parts = urlsplit(login_url)
        if parts.scheme != "https":
            problems.append(
                f"instance_url {login_url!r} must use https (simple-salesforce only speaks https)"
            )
        elif not parts.hostname:
            problems.append(f"instance_url {login_url!r} has no host name")

    version = str(_extra(extra, "version") or DEFAULT_VERSION)
    if version.startswith("v") or not version.replace(".", "").isdigit():
        problems.append(f"version {version!r} must look like '59.0' (no leading 'v')")

    ca_file = _extra(extra, "ca_file")
    if ca_file is not None and not os.path.isfile(str(ca_file)):
        problems.append(f"ca_file {ca_file!r} does not exist or is not a file")

    timeout = DEFAULT_TIMEOUT
    if _extra(extra, "timeout") is not None:
        try:
            timeout = float(_extra(extra, "timeout"))
            if timeout <= 0:
                raise ValueError
        except (TypeError, ValueError):
            problems.append(f"timeout {_extra(extra, 'timeout')!r} must be a positive number of seconds")

    if problems:
        listed = "\n  - ".join(problems)
        raise ConfigError(f"Salesforce connection {conn.conn_id!r} is not usable:\n  - {listed}")

    token = _extra(extra, "security_token")
    if token:  # the SOAP login sends password and token as one value: mask that form too
        Secret(conn.password.reveal() + str(token), user=str(conn.login))
    return SalesforceSettings(
        conn_id=conn.conn_id,
        username=str(conn.login),
        password=conn.password,
        security_token=Secret(str(token), user=str(conn.login)) if token else Secret(""),
        domain=str(_extra(extra, "domain") or "login"),
        login_url=login_url,
        version=version,
        ca_file=str(ca_file) if ca_file else None,
        timeout=timeout,
    )
