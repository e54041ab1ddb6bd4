"""Model behaviour beyond plain storage: the hooks `writing.py` calls for each model.

`prepare` runs on the values of a create (current is None) or a write before
they are stored; `after` recomputes stored computes once the rows are written;
`before_unlink` refuses deletes Odoo refuses. crm.lead (stage defaults, won
and lost), hr.employee (the resource and the work contact `create()` builds,
one employee per user) live here; invoices and orders in `invoicing.py`.
"""

from __future__ import annotations

import re
from typing import Any

from connectors.odoo.sandbox import invoicing
from connectors.odoo.sandbox.catalog import ModelSpec, registry
from connectors.odoo.sandbox.env import Env
from connectors.odoo.sandbox.exceptions import ValidationError

_EMAIL = re.compile(r"([^\s<>@,;]+@[^\s<>@,;]+)")


def prepare(env: Env, spec: ModelSpec, vals: dict[str, Any], current: dict[str, Any] | None) -> None:
    if spec.name == "crm.lead":
        _prepare_lead(env, vals, current)
    elif spec.name == "hr.employee":
        _prepare_employee(env, vals, current)
    elif spec.name == "account.move":
        invoicing.prepare_move(env, vals, current)
    elif spec.name == "account.move.line" and current is not None:
        invoicing.check_line_change(env, [int(current["move_id"])])
    elif spec.name == "account.move.line" and vals.get("move_id"):
        invoicing.check_line_change(env, [int(vals["move_id"])])
    elif spec.name == "sale.order":
        invoicing.prepare_order(env, vals, current)


def after(env: Env, spec: ModelSpec, ids: list[int]) -> None:
    """Stored computes of the written rows (and of the records they roll up into)."""
    if not ids:
        return
    if spec.name == "account.move.line":
        invoicing.recompute_lines(env, spec.table, ids, "quantity")
        moves = env.rows(spec, ids, ["move_id"])
        invoicing.recompute_moves(env, sorted({r["move_id"] for r in moves.values() if r["move_id"]}))
    elif spec.name == "account.move":
        invoicing.recompute_moves(env, ids)
    elif spec.name == "sale.order.line":
        invoicing.recompute_lines(env, spec.table, ids, "product_uom_qty")
        orders = env.rows(spec, ids, ["order_id"])
        invoicing.recompute_orders(env, sorted({r["order_id"] for r in orders.values() if r["order_id"]}))
    elif spec.name == "sale.order":
        invoicing.recompute_orders(env, ids)
    elif spec.name == "crm.lead":
        _recompute_leads(env, ids)


def before_unlink(env: Env, spec: ModelSpec, ids: list[int]) -> None:
    """Refuse what Odoo refuses; lines go with their entry or order (ondelete cascade)."""
    marks = ",".join("?" * len(ids))
    if spec.name == "account.move":
        invoicing.check_move_unlink(env, ids)
        env.conn.execute(f"DELETE FROM account_move_line WHERE move_id IN ({marks})", ids)
    elif spec.name == "sale.order":
        invoicing.check_order_unlink(env, ids)
        env.conn.execute(f"DELETE FROM sale_order_line WHERE order_id IN ({marks})", ids)
    elif spec.name == "account.move.line":
        moves = env.rows(spec, ids, ["move_id"])
        invoicing.check_line_change(env, sorted({r["move_id"] for r in moves.values() if r["move_id"]}))


# -- crm.lead -----------------------------------------------------------------------


def first_stage(env: Env) -> int | None:
    row = env.conn.execute(
        "SELECT id FROM crm_stage WHERE NOT COALESCE(fold, 0) ORDER BY sequence, name, id"
    ).fetchone()
    return int(row[0]) if row else None


def _prepare_lead(env: Env, vals: dict[str, Any], current: dict[str, Any] | None) -> None:
    if current is None:
        vals.setdefault("stage_id", first_stage(env))
        vals.setdefault("date_open", env.now if vals.get("user_id", env.uid) else None)
        vals.setdefault("user_id", env.uid)
    stage_changed = "stage_id" in vals and (current is None or vals["stage_id"] != current.get("stage_id"))
    if stage_changed:
        vals["date_last_stage_update"] = env.now
    stage = vals.get("stage_id", current.get("stage_id") if current else None)
    won = False
    if stage:
        found = env.conn.execute("SELECT is_won FROM crm_stage WHERE id = ?", [stage]).fetchone()
        won = bool(found and found[0])
    active = vals.get("active", current.get("active", True) if current else True)
    if won:
        vals["probability"] = 100.0
        if stage_changed or current is None:
            vals["date_closed"] = env.now
    elif not active:  # lost: archived, probability 0
        vals["probability"] = 0.0
        vals.setdefault("date_closed", env.now)
    elif stage_changed and current is not None and current.get("date_closed"):
        vals["date_closed"] = False  # moved out of a won stage: open again
    if "probability" in vals and not 0 <= float(vals["probability"] or 0) <= 100:
        raise ValidationError(
            "The operation cannot be completed: The probability of closing the deal "
            "should be between 0% and 100%!"
        )


def action_set_won(env: Env, spec: ModelSpec, ids: Any) -> bool:
    """Into the first won stage (probability 100, date_closed now)."""
    from connectors.odoo.sandbox.writing import write  # noqa: PLC0415 - writing imports this module

    row = env.conn.execute("SELECT id FROM crm_stage WHERE is_won = 1 ORDER BY sequence, id").fetchone()
    if row is None:
        raise ValidationError("The operation cannot be completed: no won stage is defined")
    return write(env, spec, ids, {"stage_id": int(row[0]), "active": True})


def action_set_lost(env: Env, spec: ModelSpec, ids: Any, **values: Any) -> bool:
    """Lost = archived with probability 0 (and the lost reason given, if any)."""
    from connectors.odoo.sandbox.writing import write  # noqa: PLC0415

    return write(env, spec, ids, {"active": False, **values})


def _recompute_leads(env: Env, ids: list[int]) -> None:
    rows = env.rows(registry()["crm.lead"], ids, ["email_from"])
    for lid, row in rows.items():
        found = _EMAIL.search(row["email_from"] or "")
        env.conn.execute(
            "UPDATE crm_lead SET email_normalized = ? WHERE id = ?",
            [found.group(1).lower() if found else None, lid],
        )


# -- hr.employee ---------------------------------------------------------------------


def _prepare_employee(env: Env, vals: dict[str, Any], current: dict[str, Any] | None) -> None:
    if current is None:
        if not vals.get("name"):
            raise ValidationError(
                "The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n\n"
                "Model: Resources (resource.resource)\nField: Name (name)"
            )
        last = env.conn.execute("SELECT COALESCE(MAX(resource_id), 0) FROM hr_employee").fetchone()[0]
        vals.setdefault("resource_id", int(last) + 1)  # create() builds the resource.resource record
        if not vals.get("work_contact_id"):
            vals["work_contact_id"] = _work_contact(env, vals)
    user = vals.get("user_id")
    if user and (current is None or user != current.get("user_id")):
        company = vals.get("company_id", current.get("company_id") if current else 1)
        taken = env.conn.execute(
            "SELECT id FROM hr_employee WHERE user_id = ? AND company_id = ? AND id != ?",
            [user, company, current["id"] if current else 0],
        ).fetchone()
        if taken:
            raise ValidationError(
                "The operation cannot be completed: "
                "A user cannot be linked to multiple employees in the same company."
            )
    if current is not None and "work_email" in vals and current.get("work_contact_id"):
        env.conn.execute(  # work_email's inverse writes the work contact's email
            "UPDATE res_partner SET email = ?, write_date = ? WHERE id = ?",
            [vals["work_email"] or None, env.now, current["work_contact_id"]],
        )


def _work_contact(env: Env, vals: dict[str, Any]) -> int:
    from connectors.odoo.sandbox.writing import create  # noqa: PLC0415 - writing imports this module

    new_id = create(
        env, registry()["res.partner"], {"name": vals["name"], "email": vals.get("work_email") or False}
    )
    assert isinstance(new_id, int)
    return new_id
