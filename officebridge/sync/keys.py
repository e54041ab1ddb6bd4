"""Keys sent to a target lookup, checked one by one so one bad value fails one record, not the run.

A key that cannot be a value of the looked-up field (not a scalar, a NUL byte,
too long for an id column, or not matching the field's declared `pattern`, e.g.
the system's id syntax) is refused before anything is sent. When the system
still refuses a whole lookup for a reason that is not transient, the keys are
bisected until the few it refuses are found; only if every one of several keys
fails alone is the error about the lookup itself, and it is raised.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from officebridge.connector import Connector
from officebridge.errors import AuthenticationError, RetriableError, UnreachableError

MAX_KEY_LENGTH = 255  # the state store's id columns; no real key is longer
_FATAL = (RetriableError, AuthenticationError, UnreachableError)  # about the system, never one value
Lookup = Callable[[Sequence[Any]], dict[Any, str]]


def hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


def key_problem(key: Any, pattern: re.Pattern[str] | None = None) -> str | None:
    """Why `key` cannot be looked up, or None."""
    if isinstance(key, tuple):
        found = [key_problem(k, pattern) for k in key]
        return next((p for p in found if p), None)
    if isinstance(key, bool) or not isinstance(key, str | int | float):
        return f"a {type(key).__name__} value cannot be a key"
    if isinstance(key, str):
        if "\x00" in key:
            return "the value holds a NUL character"
        if len(key) > MAX_KEY_LENGTH:
            return f"the value is {len(key)} characters long (at most {MAX_KEY_LENGTH})"
        if pattern is not None and not pattern.fullmatch(key):
            return f"the value does not look like a value of this field (pattern {pattern.pattern})"
    return None


def field_pattern(target: Connector, object_name: str, field_name: str) -> re.Pattern[str] | None:
    """The declared pattern of a field, when the target describes one (best effort: never fatal)."""
    try:
        info = target.describe(object_name).fields.get(field_name)
        return re.compile(info.pattern) if info is not None and info.pattern else None
    except Exception:  # describe is an aid here; the lookup itself will say what is wrong
        return None


def bisected(lookup: Lookup, keys: Sequence[Any]) -> tuple[dict[Any, str], dict[Any, str]]:
    """Look keys up; returns (found, refused key -> reason). Re-raises when every key is refused."""
    found: dict[Any, str] = {}
    refused: dict[Any, str] = {}
    first: Exception | None = None

    def go(part: Sequence[Any]) -> None:
        nonlocal first
        try:
            found.update(lookup(part))
        except _FATAL:
            raise
        except Exception as exc:  # a refusal of this part: find out which key
            first = first or exc
            if len(part) == 1:
                refused[part[0]] = f"the target refused the lookup: {type(exc).__name__}: {exc}"
                return
            middle = len(part) // 2
            go(part[:middle])
            go(part[middle:])

    go(list(keys))
    if len(keys) > 1 and len(refused) == len(keys) and first is not None:
        raise first
    return found, refused
