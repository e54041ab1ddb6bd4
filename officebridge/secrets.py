"""A type for secrets, so they cannot leak through str(), repr() or logs."""

from __future__ import annotations

import logging
import re
from typing import Final

MASK: Final = "***"
_known: set[str] = set()


class Secret:
    """Holds a credential; shows as *** everywhere except `reveal()`."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        if value and len(value) >= 4:
            _known.add(value)

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def redact(text: str) -> str:
    """Replace every secret value seen in this process by ***."""
    for value in sorted(_known, key=len, reverse=True):
        if value in text:
            text = text.replace(value, MASK)
    return _SESSION_LIKE.sub(r"\1" + MASK, text)


# Bearer tokens / session ids in headers or URLs that are not registered secrets.
_SESSION_LIKE = re.compile(
    r"((?:Bearer\s+|(?:sessionId|session_id|password)[\"']?\s*[=:]\s*[\"']?))[^\s\"'&,<]+", re.I
)  # a value after `password=`/`password: `, not the word after "password" in prose


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in every formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True
