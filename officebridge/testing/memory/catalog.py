"""The objects every in-memory system holds: accounts, contacts, countries.

Small, but shaped like a real CRM or ERP: a required name, an external-id
field for upserts, a reference between objects, an `active` flag for
archiving and two change stamps, so a mapping between two memory systems
exercises lookups, links, archive and cursors as a real pair would.
"""

from __future__ import annotations

from officebridge.connector import FieldInfo, FieldKind, ObjectInfo

CURSOR_FIELDS = ("updated_at", "created_at")
ID_PATTERN = r"^[a-z]{3}-[0-9]{8}$"


def _common() -> list[FieldInfo]:
    return [
        FieldInfo("id", "id", FieldKind.ID, "Id", readonly=True, external_id=True, pattern=ID_PATTERN),
        FieldInfo("active", "boolean", FieldKind.BOOLEAN, "Active"),
        FieldInfo(
            "external_ref", "string", FieldKind.STRING, "External reference", length=64, external_id=True
        ),
        FieldInfo("updated_at", "datetime", FieldKind.DATETIME, "Updated at", readonly=True),
        FieldInfo("created_at", "datetime", FieldKind.DATETIME, "Created at", readonly=True),
    ]


def _object(name: str, label: str, fields: list[FieldInfo]) -> ObjectInfo:
    return ObjectInfo(name, label, {f.name: f for f in [*_common(), *fields]})


CATALOG: dict[str, ObjectInfo] = {
    "account": _object(
        "account",
        "Account",
        [
            FieldInfo("name", "string", FieldKind.STRING, "Name", required=True, length=255),
            FieldInfo("city", "string", FieldKind.STRING, "City", length=80),
            FieldInfo("country", "string", FieldKind.STRING, "Country name", length=80),
            FieldInfo("country_id", "reference", FieldKind.REFERENCE, "Country", reference_to=("country",)),
            FieldInfo("rating", "picklist", FieldKind.PICKLIST, "Rating", choices=("Hot", "Warm", "Cold")),
            FieldInfo("employees", "integer", FieldKind.INTEGER, "Employees"),
        ],
    ),
    "contact": _object(
        "contact",
        "Contact",
        [
            FieldInfo("last_name", "string", FieldKind.STRING, "Last name", required=True, length=80),
            FieldInfo("first_name", "string", FieldKind.STRING, "First name", length=40),
            FieldInfo("email", "string", FieldKind.STRING, "Email", length=80, format="email"),
            FieldInfo("account_id", "reference", FieldKind.REFERENCE, "Account", reference_to=("account",)),
        ],
    ),
    "country": _object(
        "country",
        "Country",
        [
            FieldInfo("code", "string", FieldKind.STRING, "Code", required=True, length=2, external_id=True),
            FieldInfo("name", "string", FieldKind.STRING, "Name", required=True, length=80),
        ],
    ),
}
