"""Records as the objects API shows them (`SimplePublicObject`) and the property sets to show.

A read names the properties it wants; HubSpot always adds the object's
identity and modification stamps, and shows a requested property with no value
as null. With no property list, a few defaults per object come back.
"""

from __future__ import annotations

from typing import Any

from connectors.hubspot.sandbox.schema import ObjectType
from connectors.hubspot.sandbox.store import Row
from connectors.hubspot.sandbox.values import iso


def wanted(obj: ObjectType, asked: Any) -> list[str]:
    """The property names a read shows: those asked for (a list or a comma-separated text) or the defaults."""
    if isinstance(asked, str):
        asked = [a for a in asked.split(",") if a]
    names = [str(a) for a in asked or []] or list(obj.defaults)
    return list(dict.fromkeys([*names, "hs_object_id", "createdate", obj.modified]))


def as_json(obj: ObjectType, row: Row, props: list[str] | None, **extra: Any) -> dict[str, Any]:
    shown = props if props is not None else [k for k, v in row.props.items() if v is not None]
    body: dict[str, Any] = {
        "id": str(row.id),
        "properties": {name: row.props.get(name) for name in shown if name in obj.props},
        "createdAt": iso(row.created_ms),
        "updatedAt": iso(row.updated_ms),
        "archived": row.archived,
    }
    if row.archived and row.archived_ms is not None:
        body["archivedAt"] = iso(row.archived_ms)
    return {**body, **extra}
