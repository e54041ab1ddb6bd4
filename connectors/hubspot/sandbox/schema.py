"""The property catalogue of the sandbox's three CRM objects, as the properties API describes it.

HubSpot types a property twice: `type` (string, number, date, datetime,
enumeration, bool) says what the value is, `fieldType` how a form shows it.
Every value travels as a string. `hasUniqueValue` marks the properties that
can serve as an `idProperty` (email is unique on contacts without being flagged,
as in HubSpot). Read-only values (`modificationMetadata.readOnlyValue`) are the
ones HubSpot computes, such as the modification stamps and the opt-out flag,
which only the communication preferences API changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CREATED_AT = "2024-01-02T09:00:00.000Z"  # when the demo portal's properties were defined

LIFECYCLE = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)
DEAL_STAGES = (
    "appointmentscheduled",
    "qualifiedtobuy",
    "presentationscheduled",
    "decisionmakerboughtin",
    "contractsent",
    "closedwon",
    "closedlost",
)
LEAD_STATUS = (
    "NEW",
    "OPEN",
    "IN_PROGRESS",
    "OPEN_DEAL",
    "UNQUALIFIED",
    "ATTEMPTED_TO_CONTACT",
    "CONNECTED",
    "BAD_TIMING",
)
INDUSTRIES = (
    "COMPUTER_SOFTWARE",
    "FINANCIAL_SERVICES",
    "HOSPITAL_HEALTH_CARE",
    "RETAIL",
    "MACHINERY",
    "LOGISTICS_AND_SUPPLY_CHAIN",
    "CONSTRUCTION",
    "TELECOMMUNICATIONS",
)


@dataclass(frozen=True, slots=True)
class Prop:
    name: str
    label: str
    type: str  # string | number | date | datetime | enumeration | bool
    field_type: str = "text"
    options: tuple[str, ...] = ()
    unique: bool = False
    readonly: bool = False
    group: str = "contactinformation"

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "fieldType": self.field_type,
            "description": "",
            "groupName": self.group,
            "options": [
                {"label": o.replace("_", " ").title(), "value": o, "displayOrder": i, "hidden": False}
                for i, o in enumerate(self.options)
            ],
            "displayOrder": -1,
            "calculated": False,
            "externalOptions": False,
            "hasUniqueValue": self.unique,
            "hidden": False,
            "hubspotDefined": not self.name.startswith("officebridge"),
            "modificationMetadata": {
                "archivable": True,
                "readOnlyDefinition": True,
                "readOnlyValue": self.readonly,
            },
            "formField": not self.readonly,
            "createdAt": CREATED_AT,
            "updatedAt": CREATED_AT,
            "archived": False,
        }


def _enum(name: str, label: str, options: tuple[str, ...], group: str = "contactinformation") -> Prop:
    return Prop(name, label, "enumeration", "select", options, group=group)


def _common(modified: str, group: str) -> list[Prop]:
    return [
        Prop("hs_object_id", "Record ID", "number", "number", unique=True, readonly=True, group=group),
        Prop("createdate", "Create Date", "datetime", "date", readonly=True, group=group),
        Prop(modified, "Last Modified Date", "datetime", "date", readonly=True, group=group),
        Prop("officebridge_id", "officebridge external id", "string", unique=True, group=group),
    ]


@dataclass(frozen=True)
class ObjectType:
    name: str  # contacts, companies, deals
    singular: str  # CONTACT, COMPANY, DEAL: how error messages name it
    object_type_id: str
    modified: str  # the modification stamp property
    defaults: tuple[str, ...]  # properties returned when none are asked for
    props: dict[str, Prop] = field(default_factory=dict)

    def unique(self, name: str) -> bool:
        prop = self.props.get(name)
        return prop is not None and (prop.unique or (self.name == "contacts" and name == "email"))


def _object(
    name: str, singular: str, type_id: str, modified: str, defaults: tuple[str, ...], *, props: list[Prop]
) -> ObjectType:
    group = {"contacts": "contactinformation", "companies": "companyinformation"}.get(name, "dealinformation")
    every = [*_common(modified, group), *props]
    return ObjectType(name, singular, type_id, modified, defaults, {p.name: p for p in every})


CONTACTS = _object(
    "contacts",
    "CONTACT",
    "0-1",
    "lastmodifieddate",
    ("firstname", "lastname", "email"),
    props=[
        Prop("email", "Email", "string"),
        Prop("firstname", "First Name", "string"),
        Prop("lastname", "Last Name", "string"),
        Prop("phone", "Phone Number", "string", "phonenumber"),
        Prop("company", "Company Name", "string"),
        Prop("jobtitle", "Job Title", "string"),
        Prop("city", "City", "string"),
        Prop("country", "Country/Region", "string"),
        _enum("lifecyclestage", "Lifecycle Stage", LIFECYCLE),
        _enum("hs_lead_status", "Lead Status", LEAD_STATUS),
        Prop(
            "hs_email_optout",
            "Unsubscribed from all email",
            "bool",
            "booleancheckbox",
            ("true", "false"),
            readonly=True,
        ),
        Prop("associatedcompanyid", "Primary Associated Company ID", "number", "number"),
    ],
)
COMPANIES = _object(
    "companies",
    "COMPANY",
    "0-2",
    "hs_lastmodifieddate",
    ("name", "domain"),
    props=[
        Prop("name", "Company name", "string"),
        Prop("domain", "Company Domain Name", "string"),
        _enum("industry", "Industry", INDUSTRIES),
        Prop("phone", "Phone Number", "string", "phonenumber"),
        Prop("city", "City", "string"),
        Prop("country", "Country/Region", "string"),
        Prop("numberofemployees", "Number of Employees", "number", "number"),
        Prop("annualrevenue", "Annual Revenue", "number", "number"),
        _enum("lifecyclestage", "Lifecycle Stage", LIFECYCLE),
    ],
)
DEALS = _object(
    "deals",
    "DEAL",
    "0-3",
    "hs_lastmodifieddate",
    ("dealname", "amount", "closedate", "pipeline", "dealstage"),
    props=[
        Prop("dealname", "Deal Name", "string"),
        Prop("amount", "Amount", "number", "number"),
        _enum("dealstage", "Deal Stage", DEAL_STAGES, "dealinformation"),
        _enum("pipeline", "Pipeline", ("default",), "dealinformation"),
        Prop("closedate", "Close Date", "datetime", "date"),
    ],
)

OBJECTS: dict[str, ObjectType] = {o.name: o for o in (CONTACTS, COMPANIES, DEALS)}
ALIASES = {
    "contact": "contacts",
    "company": "companies",
    "deal": "deals",
    "0-1": "contacts",
    "0-2": "companies",
    "0-3": "deals",
}

# associationTypeId of the HUBSPOT_DEFINED association category (v4 associations)
CONTACT_TO_COMPANY_PRIMARY = 1
CONTACT_TO_COMPANY = 279
DEAL_TO_COMPANY = 341


def object_type(name: str) -> ObjectType | None:
    return OBJECTS.get(ALIASES.get(name.lower(), name.lower()))
