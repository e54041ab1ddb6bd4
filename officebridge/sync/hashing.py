"""Content hashes of records, so unchanged records and our own echoes are skipped.

The hash is over a canonical JSON form (sorted keys, no whitespace), so the same
values always hash the same regardless of dict order or the process that made them.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value, key=str) if isinstance(value, set | frozenset) else list(value)
    return str(value)


def canonical_json(values: dict[str, Any]) -> str:
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_default)


def content_hash(values: dict[str, Any]) -> str:
    """A short, stable fingerprint of a record's values (128 bits of SHA-256)."""
    return hashlib.sha256(canonical_json(values).encode()).hexdigest()[:32]
