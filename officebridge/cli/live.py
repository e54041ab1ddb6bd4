"""What `validate` asks the live systems, and what it could not ask.

`validate` must never say "ok" when it could not check: an undefined
connection id, an unreachable host or a refused login is remembered here as
"could not check" (the command then exits non-zero unless `--offline` accepts
it), and an object the system answers does not exist becomes a mapping error
at the object's line, with a did-you-mean from the names the system does
know (asked through an optional `object_names()` a connector may offer, else by
trying the usual singular/plural and case slips).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from officebridge.connector import Connector, ObjectInfo
from officebridge.errors import (
    AuthenticationError,
    ConfigError,
    ConnectionNotFoundError,
    OfficeBridgeError,
    RetriableError,
    UnreachableError,
)
from officebridge.mapping.checks import UnknownObjectError, suggestion
from officebridge.secrets import redact


def _variants(name: str) -> list[str]:
    """The slips analysts make with object names: plural for singular, case."""
    head, dot, last = name.rpartition(".")
    forms = {last[:-3] + "y", last[:-2], last[:-1]} if last.endswith("ies") else set()
    forms |= {last[:-2], last[:-1]} if last.endswith("es") else {last[:-1]} if last.endswith("s") else set()
    forms |= {last + "s", last.lower(), last.capitalize(), last[:1].upper() + last[1:]}
    return [f"{head}{dot}{f}" for f in sorted(forms) if f and f"{head}{dot}{f}" != name]


@dataclass
class LiveDescriber:
    """A `describe(system, connection, object)` for the loader, one checked connector per connection."""

    connectors: dict[tuple[str, str], Connector] = field(default_factory=dict)
    unusable: dict[tuple[str, str], str] = field(default_factory=dict)  # why it could not be checked
    cache: dict[tuple[str, str, str], ObjectInfo] = field(default_factory=dict)

    def _connector(self, system: str, connection: str) -> Connector | None:
        key = (system, connection)
        if key in self.unusable:
            return None
        if key not in self.connectors:
            from officebridge.connections import resolve_connection  # noqa: PLC0415 - only when asked
            from officebridge.connector import open_connector  # noqa: PLC0415

            try:
                connector = open_connector(system, resolve_connection(connection))
                connector.check()
            except ConnectionNotFoundError as exc:
                self.unusable[key] = f"connection {connection!r} is not defined: {exc}"
                return None
            except (AuthenticationError, UnreachableError, RetriableError, OfficeBridgeError) as exc:
                self.unusable[key] = f"{system} on connection {connection!r}: {type(exc).__name__}: {exc}"
                return None
            self.connectors[key] = connector
        return self.connectors[key]

    def __call__(self, system: str, connection: str, obj: str) -> ObjectInfo | None:
        cached = self.cache.get((system, connection, obj))
        if cached is not None:
            return cached
        connector = self._connector(system, connection)
        if connector is None:
            return None
        try:
            info = connector.describe(obj)
        except (AuthenticationError, UnreachableError, RetriableError) as exc:
            self.unusable[(system, connection)] = f"{system}: {type(exc).__name__}: {exc}"
            return None
        except OfficeBridgeError as exc:
            if not isinstance(exc, ConfigError) and getattr(exc, "status", None) not in (400, 404):
                self.unusable[(system, connection)] = f"{system}: {type(exc).__name__}: {exc}"
                return None
            raise UnknownObjectError(system, obj, self._hint(connector, obj)) from None
        self.cache[(system, connection, obj)] = info
        return info

    def _hint(self, connector: Connector, obj: str) -> str:
        names: Any = getattr(connector, "object_names", None)
        if callable(names):
            try:
                return suggestion(obj, sorted(names()))
            except OfficeBridgeError:
                pass
        for candidate in _variants(obj):
            try:
                connector.describe(candidate)
            except OfficeBridgeError:
                continue
            return f"; did you mean {candidate!r}?"
        return ""

    def could_not_check(self) -> list[str]:
        return [redact(reason) for reason in self.unusable.values()]

    def close(self) -> None:
        for connector in self.connectors.values():
            connector.close()
