"""The one fault vocabulary every sandbox speaks: kinds, their parameters and defaults.

A reliability test written against one sandbox must mean the same against any
other, so the common kinds are declared here once and a sandbox can only add
kinds of its own (Salesforce's daily `request_limit`), never redefine these.
Parameters are checked when a fault is added, so a misspelt one fails the test
that armed it instead of silently arming a different fault.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Unset(enum.Enum):
    """`times` not given: 1 for most kinds, until cleared for `record_error`."""

    UNSET = "unset"


UNSET = Unset.UNSET
Times = int | None | Unset
REQUIRED: Any = object()  # a parameter default meaning "must be given"


@dataclass(frozen=True, slots=True)
class Kind:
    """One fault kind: its parameters (name -> default) and how it is matched."""

    name: str
    params: Mapping[str, Any] = field(default_factory=dict)
    until_cleared: bool = False  # default `times` is None instead of 1
    per_record: bool = False  # checked per written record, not per request
    session_bound: bool = False  # spent only on calls that carry a session
    doc: str = ""


COMMON_KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("rate_limit", {"retry_after": 1}, doc="the system's 429 answer, with Retry-After"),
        Kind(
            "server_error",
            {"status": 503},
            doc="a non-JSON 5xx page, before the request is applied",
        ),
        Kind("slow", {"seconds": REQUIRED}, doc="the request is applied and answered after `seconds`"),
        Kind("timeout", {"seconds": 30.0}, doc="`slow` with a delay longer than any sane client timeout"),
        Kind("drop", {"after": False}, doc="the connection closes unanswered; after=True applies it first"),
        Kind(
            "drip",
            {"interval": 0.05},
            doc="the request is applied; its answer is sent one byte every `interval` seconds",
        ),
        Kind(
            "raw",
            {"status": 200, "body": REQUIRED, "content_type": "text/html", "headers": None, "after": False},
            doc="this answer instead of the system's (an HTML page, a redirect, a wrong shape); "
            "after=True applies the request first",
        ),
        Kind("expire_sessions", session_bound=True, doc="every session is found expired"),
        Kind(
            "record_error",
            {"object": None, "field": REQUIRED, "value": REQUIRED, "code": None, "message": None},
            until_cleared=True,
            per_record=True,
            doc="writes of records whose `field` equals `value` are refused per record",
        ),
    )
}
MATCH_PARAMS = ("times", "path", "operation", "chance")


def resolve_params(kind: Kind, given: Mapping[str, Any]) -> dict[str, Any]:
    """The kind's full parameter set: defaults filled in, unknown names refused."""
    params: dict[str, Any] = {}
    for name, value in given.items():
        if name not in kind.params:
            known = ", ".join([*kind.params, *MATCH_PARAMS])
            raise ValueError(f"fault {kind.name!r} takes no parameter {name!r}; it takes {known}")
        params[name] = value
    for name, default in kind.params.items():
        if name not in params:
            if default is REQUIRED:
                raise ValueError(f"fault {kind.name!r} needs the parameter {name!r}")
            params[name] = default
    return params


def check_kind(kinds: Mapping[str, Kind], name: str) -> Kind:
    kind = kinds.get(name)
    if kind is None:
        raise ValueError(f"unknown fault kind {name!r}; known: {', '.join(sorted(kinds))}")
    return kind
