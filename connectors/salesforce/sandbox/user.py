"""The User object: a small, constructed describe and the demo user as its one record.

Every record's OwnerId, CreatedById and LastModifiedById point at a User, and a real
org answers `SELECT Owner.Name FROM Account`, so the sandbox needs User rows to join
to. No recorded User describe was available to us (the CumulusCI recordings cover
Account, Contact, Lead, Case and Opportunity only), so this one is built here: the
object-level flags come from the recorded global describe entry for User, and each
field is a recorded Contact field of the same kind (same JSON shape and flags) with
its name, label, length and requiredness set to User's documented values. Only a
minimal field set is modelled; restricted picklists such as TimeZoneSidKey are left
unrestricted because their value lists were not recorded.
"""

from __future__ import annotations

import copy
from typing import Any

USER_FIELDS: tuple[tuple[str, str, str, dict[str, Any]], ...] = (
    # (name, label, Contact field used as the shape template, overrides)
    ("Id", "User ID", "Id", {}),
    (
        "Username",
        "Username",
        "Email",
        {
            "type": "string",
            "soapType": "xsd:string",
            "length": 80,
            "nillable": False,
            "idLookup": True,
            "unique": True,
        },
    ),
    ("LastName", "Last Name", "LastName", {"length": 80}),
    ("FirstName", "First Name", "FirstName", {"length": 40}),
    ("Name", "Full Name", "Name", {"length": 121}),
    ("CompanyName", "Company Name", "Title", {"length": 80}),
    ("Title", "Title", "Title", {"length": 80}),
    ("Email", "Email", "Email", {"length": 128, "nillable": False}),
    ("Alias", "Alias", "Title", {"length": 8, "nillable": False}),
    ("IsActive", "Active", "IsEmailBounced", {"createable": True, "updateable": True}),
    ("TimeZoneSidKey", "Time Zone", "LeadSource", {"length": 40, "nillable": False, "picklistValues": []}),
    ("LocaleSidKey", "Locale", "LeadSource", {"length": 40, "nillable": False, "picklistValues": []}),
    (
        "EmailEncodingKey",
        "Email Encoding",
        "LeadSource",
        {"length": 40, "nillable": False, "picklistValues": []},
    ),
    ("LanguageLocaleKey", "Language", "LeadSource", {"length": 40, "nillable": False, "picklistValues": []}),
    (
        "ProfileId",
        "Profile ID",
        "AccountId",
        {"referenceTo": ["Profile"], "relationshipName": "Profile", "nillable": False},
    ),
    ("ManagerId", "Manager ID", "AccountId", {"referenceTo": ["User"], "relationshipName": "Manager"}),
    ("CreatedDate", "Created Date", "CreatedDate", {}),
    ("CreatedById", "Created By ID", "CreatedById", {}),
    ("LastModifiedDate", "Last Modified Date", "LastModifiedDate", {}),
    ("LastModifiedById", "Last Modified By ID", "LastModifiedById", {}),
    ("SystemModstamp", "System Modstamp", "SystemModstamp", {}),
)
_OBJECT_KEYS_FROM_CONTACT = (
    "actionOverrides",
    "namedLayoutInfos",
    "sobjectDescribeOption",
    "supportedScopes",
)


def user_describe(contact: dict[str, Any], global_entry: dict[str, Any]) -> dict[str, Any]:
    """Build the User describe from the recorded Contact describe and the global User entry."""
    templates = {f["name"]: f for f in contact["fields"]}
    fields = []
    for name, label, template, overrides in USER_FIELDS:
        raw = copy.deepcopy(templates[template])
        raw.update(name=name, label=label, compoundFieldName=None, extraTypeInfo=None, **overrides)
        if raw["type"] in ("string", "email", "picklist", "phone", "textarea"):
            raw["byteLength"] = raw["length"] * 3
        fields.append(raw)
    body = {k: copy.deepcopy(v) for k, v in contact.items() if k in _OBJECT_KEYS_FROM_CONTACT}
    body.update(copy.deepcopy(global_entry))
    body.update(fields=fields, childRelationships=[], recordTypeInfos=[])
    return body


def demo_user_row(user_id: str, username: str, stamp: str) -> dict[str, Any]:
    """The sandbox's one user (the one that logs in), owner and author of every seeded record."""
    return {
        "Id": user_id,
        "Username": username,
        "FirstName": "Sandbox",
        "LastName": "Analyst",
        "Name": "Sandbox Analyst",
        "CompanyName": "officebridge sandbox",
        "Title": "Analyst",
        "Email": username,
        "Alias": "sanalyst",
        "IsActive": 1,
        "TimeZoneSidKey": "Etc/UTC",
        "LocaleSidKey": "en_US",
        "EmailEncodingKey": "UTF-8",
        "LanguageLocaleKey": "en_US",
        "ProfileId": "00e5g000000SBOXAA4",
        "CreatedDate": stamp,
        "CreatedById": user_id,
        "LastModifiedDate": stamp,
        "LastModifiedById": user_id,
        "SystemModstamp": stamp,
    }
