"""Object schema of the sandbox, read from real Salesforce describe results.

The sandbox must answer with the same object and field names, types, lengths and
flags as a real org, so everything (table layout, write validation, SOQL typing,
the describe endpoints) is derived from the recorded describe JSON in `describe/`
instead of being typed in by hand. The additions are two custom external-id
fields on Account, Contact and Lead (`External_Id__c`, unique, and `Legacy_Id__c`,
not unique): the recorded org has none, and upsert needs them; the standard Email
Opt Out checkbox (`HasOptedOutOfEmail`) on Contact and Lead, which field-level
security hid from the recording user; and the User object, whose describe is
constructed (see user.py) because none was recorded.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from connectors.salesforce.sandbox.user import user_describe

DESCRIBE_DIR = Path(__file__).with_name("describe")
STORED_OBJECTS = ("Account", "Contact", "Lead", "Case", "Opportunity")
EXTERNAL_ID_FIELD = "External_Id__c"  # unique external id (the usual upsert key)
LEGACY_ID_FIELD = "Legacy_Id__c"  # non-unique external id: several records may share a value (upsert -> 300)
EXTERNAL_ID_OBJECTS = ("Account", "Contact", "Lead")
OPT_OUT_FIELD = "HasOptedOutOfEmail"  # standard, but hidden by field-level security when recorded
OPT_OUT_OBJECTS = ("Contact", "Lead")
API_VERSION = "59.0"

# Field types with no column of their own (compound fields are views over their parts).
COMPOUND_TYPES = frozenset({"address", "location"})
TEXT_TYPES = frozenset(
    {
        "string",
        "textarea",
        "phone",
        "url",
        "email",
        "picklist",
        "multipicklist",
        "combobox",
        "encryptedstring",
    }
)
INT_TYPES = frozenset({"int"})
REAL_TYPES = frozenset({"double", "currency", "percent"})
ID_TYPES = frozenset({"id", "reference"})


@dataclass(frozen=True)
class FieldSpec:
    """One field of an sObject, with the describe flags write validation needs."""

    name: str
    type: str
    label: str
    length: int
    nillable: bool
    createable: bool
    updateable: bool
    defaulted_on_create: bool
    external_id: bool
    unique: bool
    restricted_picklist: bool
    picklist_values: tuple[str, ...]
    reference_to: tuple[str, ...]
    relationship_name: str | None
    auto_number: bool
    calculated: bool

    @property
    def stored(self) -> bool:
        return self.type not in COMPOUND_TYPES

    @property
    def required(self) -> bool:
        """Salesforce's rule: createable, not nillable and not defaulted means required on create."""
        return self.createable and not self.nillable and not self.defaulted_on_create

    @property
    def sql_type(self) -> str:
        if self.type in INT_TYPES or self.type == "boolean":
            return "INTEGER"
        if self.type in REAL_TYPES:
            return "REAL"
        if self.type in TEXT_TYPES:
            return "TEXT COLLATE NOCASE"
        return "TEXT"


@dataclass
class ObjectSpec:
    """One sObject: its describe body plus parsed fields, keyed case-insensitively."""

    name: str
    key_prefix: str
    describe: dict[str, Any]
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    by_lower: dict[str, FieldSpec] = field(default_factory=dict)
    relationships: dict[str, FieldSpec] = field(default_factory=dict)

    def field(self, name: str) -> FieldSpec | None:
        return self.by_lower.get(name.lower())

    def relationship(self, name: str) -> FieldSpec | None:
        return self.relationships.get(name.lower())

    @property
    def stored_fields(self) -> list[FieldSpec]:
        return [f for f in self.fields.values() if f.stored]

    @property
    def external_id_fields(self) -> list[FieldSpec]:
        return [f for f in self.fields.values() if f.external_id or f.name == "Id"]


def _field_from_json(raw: dict[str, Any]) -> FieldSpec:
    return FieldSpec(
        name=raw["name"],
        type=raw["type"],
        label=raw.get("label") or raw["name"],
        length=int(raw.get("length") or 0),
        nillable=bool(raw.get("nillable")),
        createable=bool(raw.get("createable")),
        updateable=bool(raw.get("updateable")),
        defaulted_on_create=bool(raw.get("defaultedOnCreate")),
        external_id=bool(raw.get("externalId")),
        unique=bool(raw.get("unique")),
        restricted_picklist=bool(raw.get("restrictedPicklist")),
        picklist_values=tuple(p["value"] for p in raw.get("picklistValues") or [] if p.get("active", True)),
        reference_to=tuple(raw.get("referenceTo") or ()),
        relationship_name=raw.get("relationshipName"),
        auto_number=bool(raw.get("autoNumber")),
        calculated=bool(raw.get("calculated")),
    )


def _external_id_field_json(template: dict[str, Any], name: str, unique: bool) -> dict[str, Any]:
    """A custom text external-id field, shaped like the recorded string fields."""
    raw = copy.deepcopy(template)
    raw.update(
        name=name,
        label=name[: -len("__c")].replace("_", " "),
        custom=True,
        length=255,
        byteLength=765,
        nillable=True,
        createable=True,
        updateable=True,
        defaultedOnCreate=False,
        externalId=True,
        unique=unique,
        idLookup=True,
        caseSensitive=False,
        nameField=False,
        picklistValues=[],
        referenceTo=[],
        relationshipName=None,
        type="string",
        soapType="xsd:string",
    )
    return raw


def _opt_out_field_json(template: dict[str, Any]) -> dict[str, Any]:
    """Email Opt Out, a standard checkbox of Contact and Lead that field-level security hid from the
    recorded org's user (Object Reference: Create, Defaulted on create, Filter, Group, Sort, Update)."""
    raw = copy.deepcopy(template)
    raw.update(
        name=OPT_OUT_FIELD,
        label="Email Opt Out",
        custom=False,
        type="boolean",
        soapType="xsd:boolean",
        length=0,
        byteLength=0,
        nillable=False,
        createable=True,
        updateable=True,
        defaultedOnCreate=True,
        defaultValue=False,
        externalId=False,
        unique=False,
        idLookup=False,
        nameField=False,
        picklistValues=[],
        referenceTo=[],
        relationshipName=None,
    )
    return raw


# Custom fields an org that receives invoice status from its ERP adds to Opportunity
# (`mappings/odoo_invoice_to_salesforce_opportunity.yaml`): (name, label, recorded template field, length)
INVOICE_FIELDS = (
    ("Amount_Due__c", "Amount Due", "Amount", None),
    ("Invoice_Number__c", "Invoice Number", "NextStep", 64),
    ("Payment_State__c", "Payment State", "NextStep", 40),
)


# Custom fields an org that shows its helpdesk's ticket summary on the Account adds
# (`mappings/zendesk_tickets_to_salesforce_account.yaml`): a Number(18, 0), which Salesforce
# describes as a double of scale 0, and a Date/Time
TICKET_SUMMARY_FIELDS = (
    ("Open_Tickets__c", "Open Tickets", "BillingLatitude", None),
    ("Last_Ticket_At__c", "Last Ticket At", "CreatedDate", None),
)


def _custom_fields_json(
    fields: list[dict[str, Any]], specs: tuple[tuple[str, str, str, int | None], ...] = INVOICE_FIELDS
) -> list[dict[str, Any]]:
    """Each one shaped like a recorded field of its type (currency, text, double, datetime), made custom."""
    by_name = {f["name"]: f for f in fields}
    out = []
    for name, label, template, length in specs:
        raw = copy.deepcopy(by_name[template])
        raw.update(name=name, label=label, custom=True, nillable=True, createable=True, updateable=True,
                   defaultedOnCreate=False, calculated=False)  # fmt: skip
        if length is not None:
            raw.update(length=length, byteLength=length * 3)
        if raw["type"] == "double":
            raw.update(precision=18, scale=0)
        out.append(raw)
    return out


def _load_object(name: str, describe: dict[str, Any] | None = None) -> ObjectSpec:
    if describe is None:
        describe = json.loads((DESCRIBE_DIR / f"{name}.json").read_text(encoding="utf-8"))
    if name in OPT_OUT_OBJECTS and not any(f["name"] == OPT_OUT_FIELD for f in describe["fields"]):
        template = next(f for f in describe["fields"] if f["type"] == "boolean")
        describe["fields"].append(_opt_out_field_json(template))
    if name == "Opportunity" and not any(f["name"] == "Amount_Due__c" for f in describe["fields"]):
        describe["fields"] += _custom_fields_json(describe["fields"])
    if name == "Account" and not any(f["name"] == "Open_Tickets__c" for f in describe["fields"]):
        describe["fields"] += _custom_fields_json(describe["fields"], TICKET_SUMMARY_FIELDS)
    if name in EXTERNAL_ID_OBJECTS and not any(f["name"] == EXTERNAL_ID_FIELD for f in describe["fields"]):
        template = next(f for f in describe["fields"] if f["type"] == "string")
        describe["fields"].append(_external_id_field_json(template, EXTERNAL_ID_FIELD, unique=True))
        describe["fields"].append(_external_id_field_json(template, LEGACY_ID_FIELD, unique=False))
    spec = ObjectSpec(name=describe["name"], key_prefix=describe["keyPrefix"], describe=describe)
    for raw in describe["fields"]:
        f = _field_from_json(raw)
        spec.fields[f.name] = f
        spec.by_lower[f.name.lower()] = f
        if f.type == "reference" and f.relationship_name:
            spec.relationships[f.relationship_name.lower()] = f
    return spec


@dataclass(eq=False)  # identity hash: describe bodies are cached per catalog
class Catalog:
    """All sObjects the sandbox knows: stored ones by name, plus the global describe list."""

    objects: dict[str, ObjectSpec]
    global_describe: dict[str, Any]

    def get(self, name: str) -> ObjectSpec | None:
        for key, spec in self.objects.items():
            if key.lower() == name.lower():
                return spec
        return None

    def by_prefix(self, prefix: str) -> ObjectSpec | None:
        for spec in self.objects.values():
            if spec.key_prefix == prefix:
                return spec
        return None


@cache
def load_catalog() -> Catalog:
    objects = {name: _load_object(name) for name in STORED_OBJECTS}
    global_describe = json.loads((DESCRIBE_DIR / "_global.json").read_text(encoding="utf-8"))
    user_entry = next(o for o in global_describe["sobjects"] if o["name"] == "User")
    objects["User"] = _load_object("User", user_describe(objects["Contact"].describe, user_entry))
    return Catalog(objects=objects, global_describe=global_describe)


def with_version(body: Any, version: str) -> Any:
    """Rewrite the recorded `/services/data/vNN.N/` URLs to the version the client asked for."""
    text = json.dumps(body)
    text = re.sub(r"/services/data/v\d+\.\d+/", f"/services/data/v{version}/", text)
    return json.loads(text)
