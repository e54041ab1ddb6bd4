"""What the kit and a sandbox exchange for one HTTP request: the request, its description, the answer.

A sandbox turns a `Request` into a `Call` (route and operation names for the
statistics and for fault matching) and into an `Answer`; the kit owns the
socket, so faults such as `drop` or `slow` can act on any system's answer the
same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request as the kit read it (the body is already read)."""

    method: str
    path: str  # URL path without the query
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    target: str = ""  # the raw request target (path and query) as sent
    head_size: int = 0  # bytes of request line plus headers, for systems that cap them


@dataclass(frozen=True, slots=True)
class Call:
    """How a sandbox names a request: `route` for stats, `operation` for stats and fault matching."""

    path: str
    route: str
    operation: str | None = None
    uses_session: bool = False  # an `expire_sessions` fault is only spent on calls that carry a session
    headers: Mapping[str, str] = field(default_factory=dict)  # added to every answer the system gives


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)
    close: bool = False  # close the connection after answering (e.g. when a body was left unread)
