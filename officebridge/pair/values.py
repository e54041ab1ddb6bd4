"""The one comparable form of a field value, on either side of a pair.

Systems spell "empty" differently (Odoo answers False for an empty text,
Salesforce null, a form ""), and a many-to-one reads as `[id, name]` where it
is written as an id. Bases are stored and compared in this form, so such
spellings never look like an edit; anything else is kept exactly (no strip, no
case folding: an edit of one character is an edit).
"""

from __future__ import annotations

from typing import Any

MISSING: Any = object()  # no known base for this field (an adopted link)


def normal(value: Any) -> Any:
    if value is None or value == "" or value is False:
        return None
    if (
        isinstance(value, list | tuple)
        and len(value) == 2
        and isinstance(value[0], int)
        and isinstance(value[1], str)
    ):
        return value[0]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list | tuple):
        return [normal(v) for v in value]
    if isinstance(value, dict):
        return {str(k): normal(v) for k, v in value.items()}
    return value


def snapshot(fields: dict[str, Any], names: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """The normal form of these fields of a record (the ones it holds)."""
    return {n: normal(fields[n]) for n in names if n in fields}
