"""Computed fields and field syncs the sandbox reproduces from Odoo 17.

Only what a sync can observe is modelled: display names ("Company, Person",
"State (CC)"), res.partner's stored computes (complete_name,
commercial_partner_id, commercial_company_name, email_normalized) and the
syncs `res.partner._fields_sync` performs (commercial fields and, for contacts,
the address flow down from the company). Recomputed records get the call's
write_date, as Odoo's flush writes them.
"""

from __future__ import annotations

import re
from typing import Any

from connectors.odoo.sandbox.catalog import ModelSpec, registry
from connectors.odoo.sandbox.env import Env

COMMERCIAL_FIELDS = ("vat", "company_registry", "industry_id", "credit_limit")
ADDRESS_FIELDS = ("street", "street2", "zip", "city", "state_id", "country_id")
TYPE_LABELS = {"invoice": "Invoice Address", "delivery": "Delivery Address", "other": "Other Address"}
_EMAIL = re.compile(r"([^\s<>@,;]+@[^\s<>@,;]+)")


def display_names(env: Env, spec: ModelSpec, ids: list[int]) -> dict[int, str]:
    """display_name per id (missing ids absent)."""
    if not ids:
        return {}
    if spec.name == "res.country.state":
        rows = env.rows(spec, ids, ["name", "country_id"])
        countries = env.rows(
            registry()["res.country"], [r["country_id"] for r in rows.values() if r["country_id"]], ["code"]
        )
        return {
            i: f"{r['name']} ({countries[r['country_id']]['code']})"
            if r["country_id"] in countries
            else str(r["name"] or "")
            for i, r in rows.items()
        }
    if spec.name == "ir.model.data":
        rows = env.rows(spec, ids, ["module", "name"])
        return {i: f"{r['module']}.{r['name']}" for i, r in rows.items()}
    if spec.name == "res.partner.category":
        return _category_names(env, spec, ids)
    if spec.name == "account.move":
        rows = env.rows(spec, ids, ["name", "state", "move_type"])
        return {i: _move_name(i, r) for i, r in rows.items()}
    column = spec.rec_name if spec.rec_name in spec.columns else "name"
    rows = env.rows(spec, ids, [column, "type"] if spec.name == "res.partner" else [column])
    out = {}
    for i, r in rows.items():
        name = r[column] or ""
        if spec.name == "res.partner" and not name:
            name = TYPE_LABELS.get(r["type"] or "", "")
        out[i] = name
    return out


MOVE_TYPE_NAMES = {"out_invoice": "Invoice", "out_refund": "Credit Note", "in_invoice": "Bill",
                   "in_refund": "Refund", "out_receipt": "Sales Receipt", "in_receipt": "Purchase Receipt",
                   "entry": "Entry"}  # fmt: skip


def _move_name(mid: int, row: dict[str, Any]) -> str:
    """account.move's display name: the number, or "Draft Invoice (* 12)" before the first posting."""
    if row["name"] and row["name"] != "/":
        return str(row["name"])
    return f"Draft {MOVE_TYPE_NAMES.get(row['move_type'] or 'entry', 'Entry')} (* {mid})"


def _category_names(env: Env, spec: ModelSpec, ids: list[int]) -> dict[int, str]:
    """A tag's display name joins its parents: "Industry / Retail"."""
    out: dict[int, str] = {}
    for cid in ids:
        parts: list[str] = []
        seen: set[int] = set()
        current: int | None = cid
        while current and current not in seen:
            seen.add(current)
            row = env.rows(spec, [current], ["name", "parent_id"]).get(current)
            if row is None:
                break
            parts.append(str(row["name"] or ""))
            current = row["parent_id"]
        if parts:
            out[cid] = " / ".join(reversed(parts))
    return out


def virtual_value(env: Env, spec: ModelSpec, fname: str, row: dict[str, Any], names: dict[int, str]) -> Any:  # noqa: PLR0911 - one branch per computed field
    """Value of a non-stored field for one row; None means "Odoo's empty value"."""
    if fname == "display_name":
        return names.get(row["id"], False)
    if spec.name == "res.partner":
        if fname == "company_type":
            return "company" if row.get("is_company") else "person"
        if fname == "country_code":
            if not row.get("country_id"):
                return False
            country_id = int(row["country_id"])
            country = env.rows(registry()["res.country"], [country_id], ["code"])
            return country.get(country_id, {}).get("code") or False
        if fname == "email_formatted":
            return f'"{row.get("name") or ""}" <{row["email"]}>' if row.get("email") else False
        if fname == "parent_name":
            if not row.get("parent_id"):
                return False
            parent_id = int(row["parent_id"])
            return env.rows(spec, [parent_id], ["name"]).get(parent_id, {}).get("name") or False
    if spec.name == "ir.model.data" and fname == "complete_name":
        return f"{row.get('module')}.{row.get('name')}"
    return None


def prepare_partner_values(env: Env, vals: dict[str, Any], current: dict[str, Any] | None) -> None:
    """Inverse of company_type, and the parent's commercial/address fields for a new child."""
    if "company_type" in vals:
        vals["is_company"] = vals.pop("company_type") == "company"
    parent_id = vals.get("parent_id", current.get("parent_id") if current else None)
    if not parent_id or ("parent_id" not in vals and current is not None):
        return
    spec = registry()["res.partner"]
    parent = env.rows(spec, [parent_id]).get(parent_id)
    if parent is None:
        return
    commercial = env.rows(spec, [parent["commercial_partner_id"] or parent_id]).get(
        parent["commercial_partner_id"] or parent_id, parent
    )
    is_company = vals.get("is_company", current.get("is_company") if current else False)
    if not is_company:
        for f in COMMERCIAL_FIELDS:
            vals[f] = commercial.get(f)
    ptype = vals.get("type", current.get("type") if current else "contact") or "contact"
    if ptype == "contact" and any(parent.get(f) for f in ADDRESS_FIELDS):
        for f in ADDRESS_FIELDS:
            vals[f] = parent.get(f)


def recompute_partners(env: Env, ids: list[int], changed: set[str]) -> None:
    """Recompute stored partner computes for `ids` and, when needed, their descendants."""
    spec = registry()["res.partner"]
    todo = list(ids)
    seen: set[int] = set()
    push_down = changed & {"name", "parent_id", "is_company", *COMMERCIAL_FIELDS, *ADDRESS_FIELDS}
    while todo:
        batch = [i for i in todo if i not in seen]
        seen.update(batch)
        todo = []
        rows = env.rows(spec, batch)
        parents = env.rows(spec, [r["parent_id"] for r in rows.values() if r["parent_id"]])
        for pid, row in rows.items():
            updates = _partner_computes(env, spec, row, parents.get(row["parent_id"]))
            if pid not in ids and push_down:
                updates.update(_downstream(row, parents.get(row["parent_id"]), env, spec))
            changed_cols = {k: v for k, v in updates.items() if row.get(k) != v}
            if changed_cols:
                if pid not in ids:
                    changed_cols.update(write_date=env.now, write_uid=env.uid)
                sets = ", ".join(f'"{k}" = ?' for k in changed_cols)
                env.conn.execute(f"UPDATE res_partner SET {sets} WHERE id = ?", [*changed_cols.values(), pid])
        if push_down and batch:
            marks = ",".join("?" * len(batch))
            todo = [
                r[0]
                for r in env.conn.execute(f"SELECT id FROM res_partner WHERE parent_id IN ({marks})", batch)
            ]


def _downstream(
    row: dict[str, Any], parent: dict[str, Any] | None, env: Env, spec: ModelSpec
) -> dict[str, Any]:
    if parent is None:
        return {}
    out: dict[str, Any] = {}
    if not row["is_company"]:
        cid = parent["commercial_partner_id"] or parent["id"]
        commercial = parent if cid == parent["id"] else env.rows(spec, [cid]).get(cid, parent)
        out.update({f: commercial.get(f) for f in COMMERCIAL_FIELDS})
    if (row["type"] or "contact") == "contact" and any(parent.get(f) for f in ADDRESS_FIELDS):
        out.update({f: parent.get(f) for f in ADDRESS_FIELDS})
    return out


def _partner_computes(
    env: Env, spec: ModelSpec, row: dict[str, Any], parent: dict[str, Any] | None
) -> dict[str, Any]:
    if row["is_company"] or parent is None:
        commercial_id = row["id"]
    else:
        commercial_id = parent["commercial_partner_id"] or parent["id"]
    commercial = (
        row if commercial_id == row["id"] else env.rows(spec, [commercial_id]).get(commercial_id, row)
    )
    company_name = commercial["name"] if commercial.get("is_company") else row.get("company_name")
    name = row["name"] or ""
    if row.get("company_name") or parent is not None:
        if not name and row["type"] in TYPE_LABELS:
            name = TYPE_LABELS[row["type"]]
        if not row["is_company"]:
            name = f"{company_name or (parent or {}).get('name') or ''}, {name}"
    email = _EMAIL.search(row["email"] or "")
    return {
        "complete_name": name.strip() or None,
        "commercial_partner_id": commercial_id,
        "commercial_company_name": company_name or None,
        "email_normalized": email.group(1).lower() if email else None,
    }
