"""The write side of the emulated ORM: create, write, unlink, archive.

Each call runs in one transaction, so a list `create` containing one bad record
fails whole, as on a real server. Values are validated field by field (unknown
fields, selection values, dates, many2one targets, required fields, unique
keys) and answered with the exception Odoo raises in that case. Log-access
fields are set from the call's timestamp and cannot be written by clients.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from connectors.odoo.sandbox import business
from connectors.odoo.sandbox.catalog import ModelSpec, registry
from connectors.odoo.sandbox.compute import prepare_partner_values, recompute_partners
from connectors.odoo.sandbox.env import Env, as_ids
from connectors.odoo.sandbox.exceptions import PyValueError, UserError, ValidationError
from connectors.odoo.sandbox.values import column_value

LOG_ACCESS = ("create_uid", "create_date", "write_uid", "write_date")


def _split(
    env: Env, spec: ModelSpec, vals: Any, current: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(column values, x2many commands) from one vals dict, validated."""
    if not isinstance(vals, dict):
        raise PyValueError(f"Invalid values for {spec.name}: {vals!r} (a dictionary is expected)")
    vals = dict(vals)
    for fname in vals:
        if fname not in spec.fields:
            raise PyValueError(f"Invalid field {fname!r} on model {spec.name!r}")
    if spec.name == "res.partner":
        prepare_partner_values(env, vals, current)
    business.prepare(env, spec, vals, current)
    columns: dict[str, Any] = {}
    x2many: dict[str, Any] = {}
    for fname, value in vals.items():
        if fname in LOG_ACCESS or fname == "id":
            continue
        if fname in spec.columns:
            columns[fname] = column_value(env, spec, fname, value)
        elif fname in spec.one2many or fname in spec.many2many:
            x2many[fname] = value
        # other non-stored fields without an inverse: Odoo ignores the value
    return columns, x2many


def _constraints(spec: ModelSpec, row: dict[str, Any]) -> None:
    for fname, desc in spec.fields.items():
        if (
            desc.get("required")
            and fname in spec.columns
            and not desc.get("company_dependent")
            and row.get(fname) in (None, "")
        ):
            raise ValidationError(
                "The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n"
                "- Delete: another model requires the record being deleted. "
                "If possible, archive it instead.\n\n"
                f"Model: {spec.description} ({spec.name})\nField: {desc.get('string', fname)} ({fname})"
            )
    if spec.name == "res.partner" and (row.get("type") or "contact") == "contact" and not row.get("name"):
        raise ValidationError("The operation cannot be completed: Contacts require a name")


def _integrity(spec: ModelSpec, exc: sqlite3.IntegrityError) -> ValidationError:
    if spec.name == "res.country":
        return ValidationError("The operation cannot be completed: The code of the country must be unique!")
    if spec.name == "ir.model.data":
        return ValidationError(
            "The operation cannot be completed: You cannot have multiple records with the same external ID "
            "in the same module!"
        )
    return ValidationError(f"The operation cannot be completed: {exc}")


def create(env: Env, spec: ModelSpec, vals_list: Any) -> int | list[int]:
    single = isinstance(vals_list, dict)
    items = [vals_list] if single else list(vals_list or [])
    new_ids: list[int] = []
    for vals in items:
        columns, x2many = _split(env, spec, vals, None)
        row = {**{k: v for k, v in spec.defaults.items() if k in spec.columns}, **columns}
        row = {
            k: column_value(env, spec, k, v) if k in spec.defaults and k not in columns else v
            for k, v in row.items()
        }
        row.update(create_uid=env.uid, write_uid=env.uid, create_date=env.now, write_date=env.now)
        _constraints(spec, row)
        env.check_record(spec.name, {**vals, **row})
        names = ", ".join(f'"{k}"' for k in row)
        try:
            cur = env.conn.execute(
                f'INSERT INTO "{spec.table}" ({names}) VALUES ({",".join("?" * len(row))})',
                list(row.values()),
            )
        except sqlite3.IntegrityError as exc:
            raise _integrity(spec, exc) from None
        new_id = int(cur.lastrowid or 0)
        new_ids.append(new_id)
        for fname, commands in x2many.items():
            apply_x2many(env, spec, new_id, fname, commands)
    if spec.name == "res.partner" and new_ids:
        recompute_partners(env, new_ids, {"name", "parent_id"})
    business.after(env, spec, new_ids)
    return new_ids[0] if single else new_ids


def write(env: Env, spec: ModelSpec, ids: Any, vals: Any) -> bool:
    id_list = env.existing(spec, as_ids(ids))
    current_rows = env.rows(spec, id_list)
    for rid in id_list:
        current = current_rows[rid]
        columns, x2many = _split(env, spec, vals, current)
        merged = {**current, **columns}
        _constraints(spec, merged)
        env.check_record(spec.name, {**current, **vals})
        columns.update(write_uid=env.uid, write_date=env.now)
        sets = ", ".join(f'"{k}" = ?' for k in columns)
        try:
            env.conn.execute(f'UPDATE "{spec.table}" SET {sets} WHERE id = ?', [*columns.values(), rid])
        except sqlite3.IntegrityError as exc:
            raise _integrity(spec, exc) from None
        for fname, commands in x2many.items():
            apply_x2many(env, spec, rid, fname, commands)
        if spec.name == "res.partner":
            recompute_partners(env, [rid], set(columns))
    business.after(env, spec, id_list)
    return True


def unlink(env: Env, spec: ModelSpec, ids: Any) -> bool:
    id_list = env.existing(spec, as_ids(ids))
    if not id_list:
        return True
    marks = ",".join("?" * len(id_list))
    business.before_unlink(env, spec, id_list)
    if spec.name == "res.partner":
        users = env.conn.execute(
            f"SELECT 1 FROM res_users WHERE partner_id IN ({marks}) AND active = 1", id_list
        )
        if users.fetchone():
            raise ValidationError(
                "You cannot delete contacts linked to an active user.\n"
                "Ask an administrator to archive their accounts first."
            )
    for other in registry().values():
        for col, ftype in other.columns.items():
            if (
                ftype == "many2one"
                and other.relation(col) == spec.name
                and col not in ("create_uid", "write_uid")
            ):
                env.conn.execute(
                    f'UPDATE "{other.table}" SET "{col}" = NULL WHERE "{col}" IN ({marks})', id_list
                )
        for m2m in other.many2many.values():
            if other.name == spec.name:
                env.conn.execute(f'DELETE FROM "{m2m.table}" WHERE "{m2m.column}" IN ({marks})', id_list)
            elif m2m.comodel == spec.name:
                env.conn.execute(f'DELETE FROM "{m2m.table}" WHERE "{m2m.other}" IN ({marks})', id_list)
    env.conn.execute(
        f"DELETE FROM ir_model_data WHERE model = ? AND res_id IN ({marks})", [spec.name, *id_list]
    )
    env.conn.execute(f'DELETE FROM "{spec.table}" WHERE id IN ({marks})', id_list)
    return True


def set_active(env: Env, spec: ModelSpec, ids: Any, active: bool) -> bool:
    if not spec.has_active:
        raise UserError(f"Model {spec.name} does not support archiving (no 'active' field).")
    return write(env, spec, ids, {"active": active})


def apply_x2many(env: Env, spec: ModelSpec, rid: int, fname: str, commands: Any) -> None:
    """Odoo's x2many command lists: (0,_,vals) (1,id,vals) (2,id) (3,id) (4,id) (5,) (6,_,ids)."""
    if not isinstance(commands, list | tuple):
        raise PyValueError(f"Wrong value for {spec.name}.{fname}: {commands!r}")
    if commands and all(isinstance(c, int) and not isinstance(c, bool) for c in commands):
        commands = [[6, 0, list(commands)]]
    comodel = registry()[str(spec.relation(fname))]
    for cmd in commands:
        if not isinstance(cmd, list | tuple) or not cmd or cmd[0] not in range(7):
            raise PyValueError(f"Wrong value for {spec.name}.{fname}: {cmd!r}")
        code = cmd[0]
        arg = int(cmd[1]) if len(cmd) > 1 and code in (1, 2, 3, 4) else 0
        if code == 0:
            _link(env, spec, rid, fname, [create_related(env, spec, rid, fname, cmd[2])])
        elif code == 1:
            write(env, comodel, [arg], cmd[2])
        elif code == 2:
            unlink(env, comodel, [arg])
        elif code == 3:
            _unlink_rel(env, spec, rid, fname, [arg])
        elif code == 4:
            _link(env, spec, rid, fname, [arg])
        elif code == 5:
            _unlink_rel(env, spec, rid, fname, None)
        elif code == 6:
            _unlink_rel(env, spec, rid, fname, None)
            _link(env, spec, rid, fname, list(cmd[2] or []))


def create_related(env: Env, spec: ModelSpec, rid: int, fname: str, vals: dict[str, Any]) -> int:
    comodel = registry()[str(spec.relation(fname))]
    if fname in spec.one2many:
        vals = {**vals, spec.one2many[fname][1]: rid}
    new_id = create(env, comodel, vals)
    assert isinstance(new_id, int)
    return new_id


def _link(env: Env, spec: ModelSpec, rid: int, fname: str, ids: list[int]) -> None:
    if fname in spec.one2many:
        comodel, inverse = spec.one2many[fname]
        write(env, registry()[comodel], ids, {inverse: rid})
    else:
        m2m = spec.many2many[fname]
        env.existing(registry()[m2m.comodel], ids)
        env.conn.executemany(
            f'INSERT OR IGNORE INTO "{m2m.table}" ("{m2m.column}", "{m2m.other}") VALUES (?, ?)',
            [(rid, i) for i in ids],
        )


def _unlink_rel(env: Env, spec: ModelSpec, rid: int, fname: str, ids: list[int] | None) -> None:
    if fname in spec.one2many:
        comodel, inverse = spec.one2many[fname]
        co = registry()[comodel]
        if ids is None:
            ids = [
                r[0] for r in env.conn.execute(f'SELECT id FROM "{co.table}" WHERE "{inverse}" = ?', [rid])
            ]
        if ids:
            write(env, co, ids, {inverse: False})
        return
    m2m = spec.many2many[fname]
    if ids is None:
        env.conn.execute(f'DELETE FROM "{m2m.table}" WHERE "{m2m.column}" = ?', [rid])
    else:
        env.conn.executemany(
            f'DELETE FROM "{m2m.table}" WHERE "{m2m.column}" = ? AND "{m2m.other}" = ?',
            [(rid, i) for i in ids],
        )
