"""The built-in fields of the objects a sync touches, as `describe` reports them.

Zendesk's built-in fields are fixed and documented per object; custom fields
(`user_fields`, `organization_fields`, ticket `custom_fields`) pass through as
one OTHER field each. Read-only fields are the ones Zendesk sets itself.
"""

from __future__ import annotations

from officebridge.connector import FieldInfo, FieldKind, ObjectInfo

ID_PATTERN = r"^[0-9]+$"
K = FieldKind


def _f(name: str, type_: str, kind: FieldKind, **more: object) -> FieldInfo:
    return FieldInfo(name=name, type=type_, kind=kind, label=name.replace("_", " ").capitalize(), **more)  # type: ignore[arg-type]


COMMON = (
    _f("id", "integer", K.ID, readonly=True, pattern=ID_PATTERN),
    _f("url", "string", K.STRING, readonly=True, format="uri"),
    _f("external_id", "string", K.STRING, external_id=True),
    _f("created_at", "date", K.DATETIME, readonly=True),
    _f("updated_at", "date", K.DATETIME, readonly=True),
    _f("tags", "array", K.OTHER),
)
FIELDS: dict[str, tuple[FieldInfo, ...]] = {
    "organizations": (
        *COMMON,
        _f("name", "string", K.STRING, required=True),
        _f("domain_names", "array", K.OTHER),
        _f("details", "string", K.TEXT),
        _f("notes", "string", K.TEXT),
        _f("group_id", "integer", K.REFERENCE, reference_to=("groups",)),
        _f("shared_tickets", "boolean", K.BOOLEAN),
        _f("shared_comments", "boolean", K.BOOLEAN),
        _f("organization_fields", "object", K.OTHER),
    ),
    "users": (
        *COMMON,
        _f("name", "string", K.STRING, required=True),
        _f("email", "string", K.STRING, format="email"),
        _f("role", "string", K.PICKLIST, choices=("end-user", "agent", "admin")),
        _f("organization_id", "integer", K.REFERENCE, reference_to=("organizations",)),
        _f("phone", "string", K.STRING),
        _f("time_zone", "string", K.STRING),
        _f("locale", "string", K.STRING),
        _f("active", "boolean", K.BOOLEAN, readonly=True),
        _f("suspended", "boolean", K.BOOLEAN),
        _f("verified", "boolean", K.BOOLEAN),
        _f("notes", "string", K.TEXT),
        _f("details", "string", K.TEXT),
        _f("user_fields", "object", K.OTHER),
    ),
    "tickets": (
        *COMMON,
        _f("subject", "string", K.STRING),
        _f("description", "string", K.TEXT, required=True),
        _f("status", "string", K.PICKLIST, choices=("new", "open", "pending", "hold", "solved", "closed")),
        _f("priority", "string", K.PICKLIST, choices=("urgent", "high", "normal", "low")),
        _f("type", "string", K.PICKLIST, choices=("problem", "incident", "question", "task")),
        _f("requester_id", "integer", K.REFERENCE, required=True, reference_to=("users",)),
        _f("submitter_id", "integer", K.REFERENCE, reference_to=("users",)),
        _f("assignee_id", "integer", K.REFERENCE, reference_to=("users",)),
        _f("organization_id", "integer", K.REFERENCE, reference_to=("organizations",)),
        _f("group_id", "integer", K.REFERENCE, reference_to=("groups",)),
        _f("custom_fields", "array", K.OTHER),
        _f("generated_timestamp", "integer", K.INTEGER, readonly=True),
    ),
}
LABELS = {"organizations": "Organizations", "users": "Users", "tickets": "Tickets"}


def object_info(name: str) -> ObjectInfo | None:
    fields = FIELDS.get(name)
    if fields is None:
        return None
    return ObjectInfo(name=name, label=LABELS[name], fields={f.name: f for f in fields})
