"""Connection settings of the memory connector, validated all at once."""

from __future__ import annotations

from dataclasses import dataclass

from officebridge.connections import Connection
from officebridge.errors import ConfigError
from officebridge.secrets import Secret

KNOWN_EXTRA = ("timeout",)


@dataclass(frozen=True, slots=True)
class MemorySettings:
    conn_id: str
    host: str
    schema: str
    login: str
    password: Secret
    timeout: float

    @classmethod
    def from_connection(cls, conn: Connection) -> MemorySettings:
        """Every problem of the connection in one ConfigError (never its password)."""
        given = (("host", conn.host), ("login", conn.login), ("password", conn.password))
        problems = [f"{name} is missing" for name, value in given if not value]
        problems += [
            f"extra.{key} is not a setting (known: {', '.join(KNOWN_EXTRA)})"
            for key in sorted(conn.extra)
            if key not in KNOWN_EXTRA
        ]
        timeout = 10.0
        raw = conn.extra.get("timeout")
        if raw not in (None, ""):
            try:
                timeout = float(raw)
            except (TypeError, ValueError):
                timeout = -1.0
            if not timeout > 0:
                problems.append(f"extra.timeout must be a positive number of seconds, not {raw!r}")
        if problems:
            raise ConfigError(f"connection {conn.conn_id!r} (memory): " + "; ".join(problems))
        return cls(
            conn.conn_id, conn.host or "", conn.schema or "default", conn.login or "", conn.password, timeout
        )
