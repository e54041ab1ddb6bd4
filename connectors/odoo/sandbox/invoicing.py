"""Invoices (account.move) and sales orders (sale.order): amounts, numbers and states.

What Odoo 17 does and a sync can observe, from `account_move.py` and
`sale_order.py` (17.0 sources, see the README): amounts are stored computes of
the lines (the sandbox has no taxes, so tax is 0 and total = untaxed); an
invoice gets its number (`INV/2024/00001`) when posted and is `/` before;
`state` moves only along draft -> posted -> draft, draft -> cancel -> draft
(and posted -> cancel through draft), through the buttons, with Odoo's own
messages; a posted invoice refuses changes to what it is (partner, lines,
dates, journal, currency) and cannot be deleted. Payments are the sandbox's
`register_payment` (Python only): they lower `amount_residual` and move
`payment_state` to partial / paid.
"""

from __future__ import annotations

from typing import Any

from connectors.odoo.sandbox.catalog import registry
from connectors.odoo.sandbox.env import Env, as_ids
from connectors.odoo.sandbox.exceptions import UserError

INVOICE_TYPES = ("out_invoice", "out_refund", "in_invoice", "in_refund", "out_receipt", "in_receipt")
PREFIX = {
    "out_invoice": "INV",
    "out_refund": "RINV",
    "in_invoice": "BILL",
    "in_refund": "RBILL",
    "out_receipt": "RCPT",
    "in_receipt": "RCPT",
    "entry": "MISC",
}
SALE_JOURNAL, PURCHASE_JOURNAL, MISC_JOURNAL = 1, 2, 3  # seeded in this order (seed.py)
COMPANY_CURRENCY = 1  # USD, the main company's currency in the sandbox
POSTED_LOCKED = (
    "partner_id",
    "invoice_line_ids",
    "line_ids",
    "date",
    "invoice_date",
    "journal_id",
    "currency_id",
    "move_type",
)


def _journal_for(move_type: str) -> int:
    if move_type.startswith("out_"):
        return SALE_JOURNAL
    return PURCHASE_JOURNAL if move_type.startswith("in_") else MISC_JOURNAL


COMPUTED = ("amount_untaxed", "amount_tax", "amount_total", "amount_residual", "amount_untaxed_signed",
            "amount_tax_signed", "amount_total_signed", "amount_total_in_currency_signed",
            "amount_residual_signed", "payment_state", "commercial_partner_id",
            "invoice_partner_display_name")  # fmt: skip


def prepare_move(env: Env, vals: dict[str, Any], current: dict[str, Any] | None) -> None:
    """Create defaults (journal, currency, date, number '/'), and the locks of states.

    The stored computes (amounts, payment state) follow the lines and payments:
    a value a client writes into one is recomputed away, as Odoo's recompute does.
    """
    for fname in COMPUTED:
        vals.pop(fname, None)
    if current is None:
        move_type = str(vals.get("move_type") or "entry")
        if vals.get("state", "draft") != "draft":
            raise UserError("A journal entry is created as a draft; post it with action_post.")
        vals.setdefault("journal_id", _journal_for(move_type))
        vals.setdefault("currency_id", COMPANY_CURRENCY)
        vals.setdefault("date", vals.get("invoice_date") or env.now[:10])
        vals.setdefault("name", "/")
        return
    if "state" in vals and vals["state"] != current.get("state"):
        raise UserError(
            "The status of a journal entry changes through its buttons (action_post, button_draft, "
            "button_cancel), not by writing it."
        )
    if current.get("state") == "posted":
        locked = [f for f in POSTED_LOCKED if f in vals and vals[f] != current.get(f)]
        if locked:
            raise UserError(
                f"You cannot modify the following fields of the posted entry {current.get('name')}: "
                f"{', '.join(locked)}. Reset it to draft first."
            )


def check_line_change(env: Env, move_ids: list[int]) -> None:
    """Lines of a posted entry are as locked as the entry itself."""
    rows = env.rows(registry()["account.move"], move_ids, ["state", "name"])
    posted = [r["name"] for r in rows.values() if r["state"] == "posted"]
    if posted:
        raise UserError(
            f"You cannot modify the lines of the posted entry {posted[0]}. Reset it to draft first."
        )


def recompute_lines(env: Env, table: str, ids: list[int], qty: str) -> None:
    """price_subtotal / price_total of order or invoice lines (no taxes: total = subtotal)."""
    marks = ",".join("?" * len(ids))
    env.conn.execute(
        f'UPDATE "{table}" SET price_subtotal = ROUND(COALESCE({qty}, 0) * COALESCE(price_unit, 0) * '
        f"(1 - COALESCE(discount, 0) / 100.0), 2) WHERE id IN ({marks})",
        ids,
    )
    env.conn.execute(f'UPDATE "{table}" SET price_total = price_subtotal WHERE id IN ({marks})', ids)


def recompute_moves(env: Env, ids: list[int]) -> None:
    """Amounts, amount due and payment state of the given entries, from their lines and payments."""
    spec = registry()["account.move"]
    for mid, row in env.rows(spec, ids).items():
        untaxed = env.conn.execute(
            "SELECT COALESCE(SUM(price_subtotal), 0) FROM account_move_line WHERE move_id = ? "
            "AND COALESCE(display_type, 'product') = 'product'",
            [mid],
        ).fetchone()[0]
        total = round(float(untaxed), 2)
        paid = round(float(row.get("amount_total") or 0) - float(row.get("amount_residual") or 0), 2)
        paid = max(0.0, min(paid, total)) if row.get("state") != "cancel" else 0.0
        residual = 0.0 if row["state"] == "cancel" else round(total - paid, 2)
        sign = -1 if row["move_type"] in ("out_refund", "in_invoice", "in_receipt") else 1
        partner = row.get("partner_id")
        values = {
            "amount_untaxed": total,
            "amount_tax": 0.0,
            "amount_total": total,
            "amount_residual": residual,
            "amount_untaxed_signed": sign * total,
            "amount_tax_signed": 0.0,
            "amount_total_signed": sign * total,
            "amount_total_in_currency_signed": sign * total,
            "amount_residual_signed": sign * residual,
            "payment_state": _payment_state(row, total, residual),
            "commercial_partner_id": _commercial(env, partner),
            "invoice_partner_display_name": _partner_name(env, partner),
        }
        values = {k: v for k, v in values.items() if k in spec.columns and row.get(k) != v}
        if values:
            sets = ", ".join(f'"{k}" = ?' for k in values)
            env.conn.execute(f"UPDATE account_move SET {sets} WHERE id = ?", [*values.values(), mid])


def _payment_state(row: dict[str, Any], total: float, residual: float) -> str:
    if row["state"] != "posted" or row["move_type"] not in INVOICE_TYPES:
        return "not_paid"
    if total and residual <= 0:
        return "paid"
    return "partial" if residual < total else "not_paid"


def _commercial(env: Env, partner: Any) -> int | None:
    if not partner:
        return None
    found = env.rows(registry()["res.partner"], [int(partner)], ["commercial_partner_id"])
    return (found.get(int(partner)) or {}).get("commercial_partner_id") or int(partner)


def _partner_name(env: Env, partner: Any) -> str | None:
    if not partner:
        return None
    found = env.rows(registry()["res.partner"], [int(partner)], ["complete_name", "name"])
    row = found.get(int(partner)) or {}
    return row.get("complete_name") or row.get("name")


def _moves(env: Env, ids: Any) -> dict[int, dict[str, Any]]:
    spec = registry()["account.move"]
    return env.rows(spec, env.existing(spec, as_ids(ids)))


def _stamp(env: Env, table: str, mid: int, values: dict[str, Any]) -> None:
    values = {**values, "write_date": env.now, "write_uid": env.uid}
    sets = ", ".join(f'"{k}" = ?' for k in values)
    env.conn.execute(f'UPDATE "{table}" SET {sets} WHERE id = ?', [*values.values(), mid])


def action_post(env: Env, spec: Any, ids: Any) -> bool:
    """draft -> posted: checks a partner and lines, and gives the entry its number."""
    for mid, row in _moves(env, ids).items():
        if row["state"] == "posted":
            raise UserError(f"The entry {row['name']} (id {mid}) is already posted.")
        if row["state"] != "draft":
            raise UserError("Only draft journal entries can be posted.")
        if row["move_type"] in INVOICE_TYPES and not row["partner_id"]:
            raise UserError(
                "The field 'Customer' is required, please complete it to validate the Customer Invoice."
            )
        lines = env.conn.execute(
            "SELECT COUNT(*) FROM account_move_line WHERE move_id = ?", [mid]
        ).fetchone()[0]
        if row["move_type"] in INVOICE_TYPES and not lines:
            raise UserError("You need to add a line before posting.")
        name = row["name"] if row["name"] not in (None, "", "/") else _next_number(env, row)
        _stamp(env, "account_move", mid, {"state": "posted", "name": name, "posted_before": 1})
    recompute_moves(env, list(_moves(env, ids)))
    return True


def _next_number(env: Env, row: dict[str, Any]) -> str:
    prefix = f"{PREFIX.get(row['move_type'], 'MISC')}/{str(row['date'])[:4]}/"
    last = env.conn.execute(
        "SELECT MAX(name) FROM account_move WHERE name LIKE ? AND move_type = ?",
        [prefix + "%", row["move_type"]],
    ).fetchone()[0]
    number = int(str(last).rsplit("/", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:05d}"


def button_draft(env: Env, spec: Any, ids: Any) -> bool:
    """posted or cancelled -> draft (the number stays, as in Odoo)."""
    moves = _moves(env, ids)
    if any(r["state"] not in ("cancel", "posted") for r in moves.values()):
        raise UserError("Only posted/cancelled journal entries can be reset to draft.")
    for mid in moves:
        _stamp(env, "account_move", mid, {"state": "draft"})
    recompute_moves(env, list(moves))
    return True


def button_cancel(env: Env, spec: Any, ids: Any) -> bool:
    """draft (or posted, reset to draft first) -> cancel; nothing is due on a cancelled entry."""
    moves = _moves(env, ids)
    if any(r["state"] == "cancel" for r in moves.values()):
        raise UserError("Only draft journal entries can be cancelled.")
    for mid in moves:
        _stamp(env, "account_move", mid, {"state": "cancel", "auto_post": "no"})
    recompute_moves(env, list(moves))
    return True


def check_move_unlink(env: Env, ids: list[int]) -> None:
    rows = env.rows(registry()["account.move"], ids, ["state", "posted_before"])
    if any(r["state"] == "posted" or r.get("posted_before") for r in rows.values()):
        raise UserError("You cannot delete an entry which has been posted once.")


def register_payment(env: Env, move_id: int, amount: float) -> None:
    """A customer payment of `amount` on a posted invoice (the sandbox's stand-in for the wizard)."""
    row = _moves(env, [move_id])[move_id]
    if row["state"] != "posted":
        raise UserError("You can only register payment for posted journal entries.")
    residual = max(0.0, round(float(row["amount_residual"] or 0) - amount, 2))
    _stamp(env, "account_move", move_id, {"amount_residual": residual})
    recompute_moves(env, [move_id])


# -- sale.order ---------------------------------------------------------------------


def prepare_order(env: Env, vals: dict[str, Any], current: dict[str, Any] | None) -> None:
    for fname in ("amount_untaxed", "amount_tax", "amount_total", "invoice_status"):
        vals.pop(fname, None)  # stored computes of the lines and the state
    if current is None:
        if vals.get("name") in (None, False, "", "New"):
            last = env.conn.execute("SELECT MAX(name) FROM sale_order WHERE name LIKE 'S%'").fetchone()[0]
            digits = str(last)[1:] if last else ""
            vals["name"] = f"S{(int(digits) + 1 if digits.isdigit() else 1):05d}"
        vals.setdefault("date_order", env.now)
        vals.setdefault("currency_id", COMPANY_CURRENCY)
        if vals.get("partner_id"):
            vals.setdefault("partner_invoice_id", vals["partner_id"])
            vals.setdefault("partner_shipping_id", vals["partner_id"])
        if vals.get("state", "draft") != "draft":
            raise UserError("A quotation is created as a draft; confirm it with action_confirm.")
        return
    if "state" in vals and vals["state"] != current.get("state"):
        raise UserError(
            "The status of an order changes through action_confirm, action_cancel or action_draft."
        )
    if current.get("locked") and set(vals) - {"locked", "note", "client_order_ref"}:
        raise UserError("This order is locked: unlock it before changing it.")


def recompute_orders(env: Env, ids: list[int]) -> None:
    for oid, row in env.rows(registry()["sale.order"], ids, ["state", "amount_total"]).items():
        total = env.conn.execute(
            "SELECT COALESCE(SUM(price_subtotal), 0) FROM sale_order_line WHERE order_id = ? "
            "AND display_type IS NULL",
            [oid],
        ).fetchone()[0]
        status = "to invoice" if row["state"] == "sale" and total else "no"
        env.conn.execute(
            "UPDATE sale_order SET amount_untaxed = ?, amount_tax = 0, amount_total = ?, invoice_status = ? "
            "WHERE id = ?",
            [round(float(total), 2), round(float(total), 2), status, oid],
        )


def _orders(env: Env, ids: Any) -> dict[int, dict[str, Any]]:
    spec = registry()["sale.order"]
    return env.rows(spec, env.existing(spec, as_ids(ids)))


def action_confirm(env: Env, spec: Any, ids: Any) -> bool:
    orders = _orders(env, ids)
    if any(r["state"] not in ("draft", "sent") for r in orders.values()):
        raise UserError("Some orders are not in a state requiring confirmation.")
    for oid in orders:
        _stamp(env, "sale_order", oid, {"state": "sale", "date_order": env.now})
    recompute_orders(env, list(orders))
    return True


def action_cancel(env: Env, spec: Any, ids: Any) -> bool:
    orders = _orders(env, ids)
    if any(r["locked"] for r in orders.values()):
        raise UserError("You cannot cancel a locked order. Please unlock it first.")
    for oid in orders:
        _stamp(env, "sale_order", oid, {"state": "cancel"})
    recompute_orders(env, list(orders))
    return True


def action_draft(env: Env, spec: Any, ids: Any) -> bool:
    """cancel or sent -> draft; other orders are left as they are (Odoo filters them out)."""
    orders = _orders(env, ids)
    for oid, row in orders.items():
        if row["state"] in ("cancel", "sent"):
            _stamp(env, "sale_order", oid, {"state": "draft"})
    recompute_orders(env, list(orders))
    return True


def check_order_unlink(env: Env, ids: list[int]) -> None:
    rows = env.rows(registry()["sale.order"], ids, ["state"])
    if any(r["state"] not in ("draft", "cancel") for r in rows.values()):
        raise UserError(
            "You can not delete a sent quotation or a confirmed sales order. You must first cancel it."
        )
