"""What travels between a memory system and its connector: errors and datetimes.

The memory system answers like a remote service would: with copies of plain
values, and with transport-level failures (a status code, a dropped
connection, a timeout) that the connector must classify itself, exactly as
a real connector classifies what its client library raises.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


class TransportError(Exception):
    """A request did not get a normal answer."""


class StatusError(TransportError):
    def __init__(self, status: int, message: str, retry_after: float | None = None) -> None:
        self.status = status
        self.retry_after = retry_after
        super().__init__(f"HTTP {status}: {message}")


class Dropped(TransportError):
    """The connection closed with no answer."""


class TimedOut(TransportError):
    """No answer within the client's timeout."""


class Refused(TransportError):
    """Nothing listens at this address (an unknown or stopped system)."""


class SessionInvalid(TransportError):
    """The session token is unknown or expired."""


class LoginRefused(TransportError):
    """Wrong login or password."""


class NoSuchObject(TransportError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"no object {name!r}")


class NoSuchField(TransportError):
    def __init__(self, object_name: str, field_name: str) -> None:
        self.object_name, self.field_name = object_name, field_name
        super().__init__(f"{object_name} has no field {field_name!r}")


class BadRequest(TransportError):
    """The request itself is malformed (a filter term, a cursor field)."""


class MemoryWire:
    """Datetimes on the memory wire: ISO 8601 in UTC with milliseconds (`2026-01-02T03:04:05.123+00:00`)."""

    def parse_datetime(self, value: Any) -> datetime | None:
        if value is None or value == "":
            return None
        if isinstance(value, datetime):
            return value
        return datetime.fromisoformat(str(value))

    def format_datetime(self, moment: datetime) -> Any:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat(timespec="milliseconds")


WIRE = MemoryWire()
