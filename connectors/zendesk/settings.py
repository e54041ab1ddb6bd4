"""The Zendesk connection contract: the fields of Airflow's Zendesk provider, plus our own.

As `apache-airflow-providers-zendesk` 4.12 reads them: `host` is the account
host (`acme.zendesk.com`), `login` the agent's email, and the credential is
chosen in the provider's order: extra `use_token` (password is an API token),
extra `token`, extra `oauth_token`, else the password. zenpy joins
`subdomain.domain` into the host, so we split the host as the provider does
(subdomain = all but the last two labels); any host with three labels or more
round-trips, a dotted IPv4 address included, and `port` is appended. Ours:
`ca_file` (a CA bundle to trust; verification is never switched off),
`timeout`, `rate_limit_budget` (seconds zenpy may sleep on 429s in one call)
and `job_timeout` (seconds to wait for a bulk job). Every problem is reported
at once.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import Any

from connectors.zendesk.manifest import MANIFEST
from officebridge.connections import Connection
from officebridge.errors import ConfigError
from officebridge.secrets import Secret

DEFAULT_TIMEOUT = 60.0
DEFAULT_BUDGET = 120
DEFAULT_JOB_TIMEOUT = 600.0


@dataclass(frozen=True)
class ZendeskSettings:
    conn_id: str
    subdomain: str
    domain: str
    email: str | None
    token: Secret  # API token (with email), or empty
    oauth_token: Secret
    password: Secret
    ca_file: str | None
    timeout: float
    rate_limit_budget: int
    job_timeout: float

    @property
    def endpoint(self) -> str:
        return f"https://{self.subdomain}.{self.domain}"


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1", "yes")


def _positive(extra: dict[str, Any], key: str, default: float, problems: list[str]) -> float:
    raw = extra.get(key)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
        if value > 0:
            return value
    except (TypeError, ValueError):
        pass
    problems.append(f"extra.{key} {raw!r} must be a positive number")
    return default


def split_host(host: str, port: int | None) -> tuple[str, str]:
    """(subdomain, domain) for zenpy, as Airflow's Zendesk hook splits a host."""
    labels = host.strip().strip("/").rstrip(".").split(".")
    if len(labels) == 1:
        labels += ["zendesk", "com"]  # `acme` alone means acme.zendesk.com
    domain = ".".join(labels[-2:]) + (f":{port}" if port else "")
    return ".".join(labels[:-2]), domain


def _credential(conn: Connection) -> tuple[Secret, Secret, Secret]:
    """(API token, OAuth token, password), chosen in the Airflow provider's order; two stay empty."""
    extra, empty = conn.extra or {}, Secret("")
    if _flag(extra.get("use_token")):
        return conn.password, empty, empty
    if extra.get("token"):
        return conn.extra_secret("token"), empty, empty
    if extra.get("oauth_token"):
        return empty, conn.extra_secret("oauth_token"), empty
    return empty, empty, conn.password


def settings_from_connection(conn: Connection) -> ZendeskSettings:
    extra = conn.extra or {}
    problems: list[str] = []
    host = (conn.host or "").removeprefix("https://")
    if not host:
        problems.append("host (the account host, e.g. acme.zendesk.com) is empty")
    elif "://" in host:
        problems.append(f"host {conn.host!r} must be a host name; zenpy only speaks https")
    subdomain, domain = split_host(host, conn.port) if host else ("", "")
    if host and not subdomain:
        problems.append(f"host {host!r} has no subdomain (expected e.g. acme.zendesk.com)")
    token, oauth, password = _credential(conn)
    if not (token or oauth or password):
        problems.append("no credential: set extra.token, extra.oauth_token, or a password (with use_token)")
    if (token or password) and not conn.login:
        problems.append("login (the agent's email) is empty; API tokens and passwords need it")
    ca_file = extra.get("ca_file") or None
    if ca_file is not None and not os.path.isfile(str(ca_file)):
        problems.append(f"extra.ca_file {ca_file!r} does not exist or is not a file")
    timeout = _positive(extra, "timeout", DEFAULT_TIMEOUT, problems)
    budget = _positive(extra, "rate_limit_budget", DEFAULT_BUDGET, problems)
    job_timeout = _positive(extra, "job_timeout", DEFAULT_JOB_TIMEOUT, problems)
    if problems:
        listed = "\n  - ".join(problems)
        raise ConfigError(f"Zendesk connection {conn.conn_id!r} is not usable:\n  - {listed}")
    if token and conn.login:  # the Authorization header carries this, base64-encoded: mask it too
        Secret(base64.b64encode(f"{conn.login}/token:{token.reveal()}".encode()).decode())
    if password and conn.login:
        Secret(base64.b64encode(f"{conn.login}:{password.reveal()}".encode()).decode())
    return ZendeskSettings(
        conn_id=conn.conn_id, subdomain=subdomain, domain=domain, email=conn.login, token=token,
        oauth_token=oauth, password=password, ca_file=str(ca_file) if ca_file else None, timeout=timeout,
        rate_limit_budget=int(budget), job_timeout=job_timeout,
    )  # fmt: skip


DEFAULT_CONN_ID = MANIFEST.connection.default_conn_id
