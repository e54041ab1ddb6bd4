"""The models the sandbox serves, built from Odoo 17 field catalogues.

Each model's fields come from a JSON catalogue (the shape `fields_get` has on a
real Odoo 17 server), so the sandbox describes exactly what a real server
would. From that catalogue this module derives how each field is stored in
SQLite: a column (scalars and many2one), a relation table (many2many), the
inverse column of another model (one2many), or nothing (non-stored computed
fields, answered by `compute.py` or with Odoo's empty value).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

FIELDS_DIR = Path(__file__).with_name("fields")

SCALAR_TYPES = frozenset(
    {
        "char",
        "text",
        "html",
        "integer",
        "float",
        "monetary",
        "boolean",
        "date",
        "datetime",
        "selection",
        "binary",
        "json",
        "properties",
    }
)
SQL_TYPES = {
    "integer": "INTEGER",
    "many2one": "INTEGER",
    "boolean": "INTEGER",
    "float": "REAL",
    "monetary": "REAL",
}
# Attributes of a catalogue entry that `fields_get` does not report.
NON_FIELDS_GET_KEYS = ("note", "module")


@dataclass(frozen=True)
class Many2many:
    comodel: str
    table: str
    column: str  # points at this model's record
    other: str  # points at the comodel's record


@dataclass
class ModelSpec:
    """One model: its catalogue plus the storage layout derived from it."""

    name: str
    description: str
    order: str
    rec_name: str = "name"
    parent_name: str | None = None
    defaults: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)  # name -> odoo type
    one2many: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (comodel, inverse)
    many2many: dict[str, Many2many] = field(default_factory=dict)

    @property
    def table(self) -> str:
        return table_of(self.name)

    @property
    def has_active(self) -> bool:
        return "active" in self.columns

    def ftype(self, name: str) -> str:
        return str(self.fields[name]["type"])

    def relation(self, name: str) -> str | None:
        rel = self.fields[name].get("relation")
        return str(rel) if rel else None


def table_of(model: str) -> str:
    return model.replace(".", "_")


# name -> (description, default order, rec_name, parent field, defaults on create)
_MODELS: dict[str, tuple[str, str, str, str | None, dict[str, Any]]] = {
    "res.partner": (
        "Contact",
        "complete_name ASC, id DESC",
        "complete_name",
        "parent_id",
        {
            "active": True,
            "type": "contact",
            "is_company": False,
            "lang": "en_US",
            "customer_rank": 0,
            "supplier_rank": 0,
            "color": 0,
            "trust": "normal",
            "invoice_warn": "no-message",
            "company_id": 1,
        },
    ),
    "res.country": ("Country", "name", "name", None, {"name_position": "before"}),
    "res.country.state": ("Country state", "code", "name", None, {}),
    "res.partner.industry": ("Industry", "name", "name", None, {"active": True}),
    "res.partner.category": ("Partner Tags", "name", "name", "parent_id", {"active": True}),
    "res.users": ("User", "name, login", "name", None, {"active": True, "lang": "en_US", "company_id": 1}),
    "ir.model": ("Models", "model", "name", None, {"state": "base"}),
    "ir.model.data": ("Model Data", "module, model, name", "name", None, {"noupdate": False}),
    "res.currency": ("Currency", "active desc, name", "name", None, {"active": True, "rounding": 0.01}),
    "account.journal": ("Journal", "sequence, type, code", "name", None, {"active": True, "company_id": 1}),
    # The models below have behaviour of their own (defaults that depend on other
    # records, computes, states): see business.py.
    "crm.stage": ("CRM Stages", "sequence, name, id", "name", None, {"sequence": 1}),
    "crm.tag": ("CRM Tag", "name", "name", None, {"color": 0}),
    "crm.lead": (
        "Lead/Opportunity",
        "priority desc, id desc",
        "name",
        None,
        {"active": True, "type": "opportunity", "priority": "0", "probability": 0.0, "company_id": 1},
    ),
    "account.move": (
        "Journal Entry",
        "date desc, name desc, invoice_date desc, id desc",
        "name",
        None,
        {
            "move_type": "entry",
            "state": "draft",
            "auto_post": "no",
            "payment_state": "not_paid",
            "company_id": 1,
        },
    ),
    "account.move.line": (
        "Journal Item",
        "move_id, sequence, id",
        "name",
        None,
        {"quantity": 1.0, "display_type": "product", "sequence": 10},
    ),
    "sale.order": (
        "Sales Order",
        "date_order desc, id desc",
        "name",
        None,
        {"state": "draft", "locked": False, "company_id": 1, "invoice_status": "no"},
    ),
    "sale.order.line": (
        "Sales Order Line",
        "order_id, sequence, id",
        "name",
        None,
        {"product_uom_qty": 1.0, "sequence": 10},
    ),
    "hr.employee": (
        "Employee",
        "name",
        "name",
        "parent_id",
        {"active": True, "employee_type": "employee", "company_id": 1, "color": 0},
    ),
}


def _load(name: str) -> dict[str, dict[str, Any]]:
    with (FIELDS_DIR / f"{name}.json").open(encoding="utf-8") as fh:
        raw: dict[str, dict[str, Any]] = json.load(fh)
    return raw


def _is_column(desc: dict[str, Any]) -> bool:
    """Stored scalar or many2one; company-dependent fields too (one company here)."""
    if desc.get("related") and not desc.get("store"):
        return False
    if desc["type"] not in SCALAR_TYPES and desc["type"] != "many2one":
        return False
    return bool(desc.get("store") or desc.get("company_dependent"))


@cache
def registry() -> dict[str, ModelSpec]:
    """All served models, keyed by model name (built once, read-only after)."""
    specs: dict[str, ModelSpec] = {}
    for name, (description, order, rec_name, parent, defaults) in _MODELS.items():
        spec = ModelSpec(name, description, order, rec_name, parent, dict(defaults), _load(name))
        for fname, desc in spec.fields.items():
            if (
                fname != "id"
                and _is_column(desc)
                and not (desc.get("related") and fname.startswith("image_"))
            ):
                spec.columns[fname] = desc["type"]
        specs[name] = spec
    for spec in specs.values():
        for fname, desc in spec.fields.items():
            comodel = desc.get("relation")
            if comodel not in specs:
                continue
            if desc["type"] == "one2many":
                inverse = desc.get("relation_field") or _guess_inverse(specs[comodel], spec.name)
                if inverse and inverse in specs[comodel].columns:
                    spec.one2many[fname] = (comodel, inverse)
            elif desc["type"] == "many2many" and desc.get("store") and comodel != spec.name:
                mine, theirs = table_of(spec.name), table_of(comodel)
                rel = "_".join(sorted((mine, theirs))) + "_rel"
                spec.many2many[fname] = Many2many(comodel, rel, f"{mine}_id", f"{theirs}_id")
    return specs


def _guess_inverse(comodel: ModelSpec, model: str) -> str | None:
    hits = [
        f
        for f, d in comodel.fields.items()
        if d["type"] == "many2one"
        and d.get("relation") == model
        and f in comodel.columns
        and f not in ("create_uid", "write_uid")
    ]
    return hits[0] if len(hits) == 1 else None


def fields_get_view(
    spec: ModelSpec, allfields: list[str] | None, attributes: list[str] | None
) -> dict[str, dict[str, Any]]:
    """The `fields_get` answer: catalogue entries minus keys Odoo does not report."""
    out: dict[str, dict[str, Any]] = {}
    for fname, desc in spec.fields.items():
        if allfields and fname not in allfields:
            continue
        clean = {k: v for k, v in desc.items() if k not in NON_FIELDS_GET_KEYS}
        clean["name"] = fname
        if isinstance(clean.get("selection"), str):  # a dynamic selection: what this server offers
            clean["selection"] = dynamic_selection(spec.name, fname)
        if attributes:
            clean = {k: v for k, v in clean.items() if k in attributes}
        out[fname] = clean
    return out


def dynamic_selection(model: str, fname: str) -> list[list[str]]:
    if fname == "lang":
        return [["en_US", "English (US)"], ["de_DE", "German / Deutsch"], ["fr_FR", "French / Français"]]
    if fname == "tz":
        return [
            [tz, tz] for tz in ("Europe/Berlin", "Europe/Brussels", "Europe/Paris", "UTC", "America/New_York")
        ]
    return []
