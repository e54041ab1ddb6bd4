"""Resolve an Airflow connection id to connection settings, the way Airflow does.

Order: the `AIRFLOW_CONN_<ID>` environment variable (URI or JSON form), then,
when Airflow is installed and configured, Airflow's own lookup (metadata DB and
secrets backends). The CLI and a DAG therefore run one mapping identically, and
the environment-variable path needs no Airflow server at all.

A URI's password is often pasted unencoded; a `/` or `@` in it would make a
plain `urlsplit` read part of the password as host and port (and print it in
its error). The authority therefore ends at the last `@` before the query, the
user information is re-encoded before parsing, and no parse error ever quotes
the URI.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urlsplit

from officebridge.errors import ConfigError, ConnectionNotFoundError
from officebridge.secrets import Secret


@dataclass(frozen=True)
class Connection:
    conn_id: str
    conn_type: str
    host: str | None = None
    port: int | None = None
    login: str | None = None
    password: Secret = field(default_factory=lambda: Secret(""))
    schema: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # where it was found, for logs: an environment variable, the metadata DB, a backend

    def extra_secret(self, key: str) -> Secret:
        value = self.extra.get(key)
        return Secret(str(value) if value else "")


def _split(conn_id: str, uri: str) -> SplitResult:
    """urlsplit of `uri` with its user information re-encoded, so `/`, `@`, `#` in a password hold."""
    scheme, sep, rest = uri.partition("://")
    if not sep or not scheme:
        raise ConfigError(f"connection {conn_id!r}: URI has no scheme (e.g. odoo://user:pass@host:8069/db)")
    before_query, mark, query = rest.partition("?")
    at = before_query.rfind("@")
    if at >= 0:
        user, colon, password = before_query[:at].partition(":")
        userinfo = quote(unquote(user), safe="") + (colon and ":" + quote(unquote(password), safe=""))
        rest = f"{userinfo}@{before_query[at + 1 :]}{mark}{query}"
    try:
        parts = urlsplit(f"{scheme}://{rest}")
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ConfigError(
            f"connection {conn_id!r}: the URI's host or port cannot be read (URL-encode a password "
            "that contains '?' as %3F)"
        ) from None
    return parts


def _from_uri(conn_id: str, uri: str) -> Connection:
    parts = _split(conn_id, uri)
    conn_type = parts.scheme.replace("-", "_")
    extra: dict[str, Any] = {}
    query = parse_qsl(parts.query, keep_blank_values=True)
    if len(query) == 1 and query[0][0] == "__extra__":
        try:
            extra = json.loads(query[0][1])
        except json.JSONDecodeError as exc:
            raise ConfigError(f"connection {conn_id!r}: __extra__ is not JSON (position {exc.pos})") from None
    else:
        extra = dict(query)
    path = unquote(parts.path[1:]) if parts.path.startswith("/") else unquote(parts.path)
    login = unquote(parts.username) if parts.username else None
    return Connection(
        conn_id=conn_id,
        conn_type=conn_type,
        host=unquote(parts.hostname) if parts.hostname else None,
        port=parts.port,
        login=login,
        password=Secret(unquote(parts.password) if parts.password else "", user=login),
        schema=path or None,
        extra=extra,
    )


def _from_json(conn_id: str, text: str) -> Connection:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"connection {conn_id!r}: invalid JSON at position {exc.pos}") from None
    extra = data.get("extra") or {}
    if isinstance(extra, str):
        extra = json.loads(extra)
    port = data.get("port")
    return Connection(
        conn_id=conn_id,
        conn_type=str(data.get("conn_type", "")).replace("-", "_"),
        host=data.get("host"),
        port=int(port) if port not in (None, "") else None,
        login=data.get("login"),
        password=Secret(data.get("password") or "", user=data.get("login")),
        schema=data.get("schema"),
        extra=extra,
    )


def parse_connection(conn_id: str, value: str) -> Connection:
    """Parse the value of an AIRFLOW_CONN_* variable (URI or JSON)."""
    value = value.strip()
    return _from_json(conn_id, value) if value.startswith("{") else _from_uri(conn_id, value)


def _airflow_lookup(conn_id: str) -> Any:
    """Inside a task the Task SDK asks the API server; elsewhere (the CLI) Airflow core reads its backends."""
    try:
        from airflow.sdk import Connection as AirflowConnection  # noqa: PLC0415 - optional
    except Exception:
        return None
    try:
        return AirflowConnection.get(conn_id)
    except Exception:
        pass
    try:
        from airflow.models.connection import Connection as CoreConnection  # noqa: PLC0415

        return CoreConnection.get_connection_from_secrets(conn_id)  # secrets backends, then the metadata DB
    except Exception:
        return None


def _airflow_source(conn_id: str) -> str:
    """Name the first of Airflow's secrets backends that holds `conn_id`, in Airflow's own search order.

    The backend that reaches the metadata DB (directly, or through the API server inside a task) is named
    without being asked again: it comes last, and the lookup above already found the connection.
    """
    try:
        from airflow.sdk.execution_time.supervisor import ensure_secrets_backend_loaded  # noqa: PLC0415

        backends = ensure_secrets_backend_loaded()
    except Exception:
        return "Airflow (secrets backends or metadata DB)"
    for backend in backends:
        name = type(backend).__name__
        if name in ("MetastoreBackend", "ExecutionAPISecretsBackend"):
            return "Airflow metadata DB" + (" (through the API server)" if name.startswith("Exec") else "")
        try:
            if backend.get_connection(conn_id=conn_id) is None:
                continue
        except Exception:
            continue
        if name == "EnvironmentVariablesBackend":
            return f"environment variable AIRFLOW_CONN_{conn_id.upper()}"
        return f"secrets backend {type(backend).__module__}.{name}"
    return "Airflow metadata DB"


def _from_airflow(conn_id: str) -> Connection | None:
    if os.environ.get("OFFICEBRIDGE_NO_AIRFLOW_LOOKUP"):
        return None
    conn = _airflow_lookup(conn_id)
    if conn is None:
        return None
    return Connection(
        conn_id=conn_id,
        conn_type=conn.conn_type or "",
        host=conn.host,
        port=conn.port,
        login=conn.login,
        password=Secret(conn.password or "", user=conn.login),
        schema=conn.schema,
        extra=conn.extra_dejson,
        source=_airflow_source(conn_id),
    )


def resolve_connection(conn_id: str) -> Connection:
    value = os.environ.get("AIRFLOW_CONN_" + conn_id.upper())
    if value:
        source = f"environment variable AIRFLOW_CONN_{conn_id.upper()}"
        return replace(parse_connection(conn_id, value), source=source)
    found = _from_airflow(conn_id)
    if found is None:
        raise ConnectionNotFoundError(conn_id)
    return found
