"""Salesforce record ids: 15-character base plus the 3-character case-safe suffix.

Clients (and our connector) compare ids, shorten them to 15 characters, or
validate them, so the sandbox mints ids the way Salesforce does: the object's
key prefix, an instance part, a base-62 counter, then the checksum suffix that
encodes which of the 15 characters are upper case.
"""

from __future__ import annotations

import re
from functools import lru_cache

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_INSTANCE = "5g0"
ID_RE = re.compile(r"^[a-zA-Z0-9]{15}(?:[A-Z0-5]{3})?$")


@lru_cache(maxsize=65536)
def _chunk_char(chunk: str) -> str:
    bits = 0
    for i, ch in enumerate(chunk):
        if "A" <= ch <= "Z":
            bits |= 1 << i
    return _SUFFIX_ALPHABET[bits]


def checksum_suffix(base15: str) -> str:
    """The real algorithm: per 5-char chunk, a 5-bit mask of upper-case positions (LSB first)."""
    return _chunk_char(base15[0:5]) + _chunk_char(base15[5:10]) + _chunk_char(base15[10:15])


def make_id(prefix: str, counter: int) -> str:
    digits = []
    n = counter
    for _ in range(9):
        n, r = divmod(n, 62)
        digits.append(_BASE62[r])
    base = prefix + _INSTANCE + "".join(reversed(digits))
    return base + checksum_suffix(base)


def normalize_id(value: str) -> str | None:
    """Return the 18-char form of a 15- or 18-char id, or None when it is not id-shaped.

    An 18-char id whose suffix does not match its base is not a valid id.
    """
    if not isinstance(value, str) or not ID_RE.match(value):
        return None
    base = value[:15]
    full = base + checksum_suffix(base)
    if len(value) == 18 and value[15:].upper() != full[15:]:
        return None
    return full
