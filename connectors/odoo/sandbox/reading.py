"""The read side of the emulated ORM: search, search_count, read, search_read, name_search.

`search` compiles the domain to SQL (see `domain.py`) and lets SQLite filter,
order and page; `read` then converts stored values to the wire format,
resolving many2one display names in one query per related model.
"""

from __future__ import annotations

from typing import Any

from connectors.odoo.sandbox.catalog import ModelSpec, registry
from connectors.odoo.sandbox.compute import display_names, virtual_value
from connectors.odoo.sandbox.domain import DomainCompiler, order_by
from connectors.odoo.sandbox.env import Env, as_ids
from connectors.odoo.sandbox.exceptions import PyValueError
from connectors.odoo.sandbox.values import empty_value, read_value


def _check_fields(spec: ModelSpec, fields: list[str]) -> None:
    for fname in fields:
        if fname not in spec.fields:
            raise PyValueError(f"Invalid field {fname!r} on model {spec.name!r}")


def search(  # noqa: PLR0917 - Odoo's RPC signature, called positionally
    env: Env,
    spec: ModelSpec,
    domain: Any = None,
    offset: int = 0,
    limit: int | None = None,
    order: str | None = None,
    count: bool = False,
) -> list[int] | int:
    compiler = DomainCompiler(spec, env.active_test)
    where = compiler.compile(domain)
    if count:
        return int(
            env.conn.execute(
                f'SELECT COUNT(*) FROM "{spec.table}" WHERE {where}', compiler.params
            ).fetchone()[0]
        )
    sql = f'SELECT id FROM "{spec.table}" WHERE {where} ORDER BY {order_by(spec, order)}'
    params = list(compiler.params)
    if limit or offset:
        sql += " LIMIT ? OFFSET ?"
        params += [int(limit) if limit else -1, int(offset or 0)]
    return [row[0] for row in env.conn.execute(sql, params)]


def search_count(env: Env, spec: ModelSpec, domain: Any = None, limit: int | None = None) -> int:
    total = search(env, spec, domain, count=True)
    assert isinstance(total, int)
    return min(total, limit) if limit else total


def read(
    env: Env, spec: ModelSpec, ids: Any, fields: list[str] | None = None, load: str = "_classic_read"
) -> list[dict[str, Any]]:
    id_list = as_ids(ids)
    names = list(fields) if fields else [f for f in spec.fields if f != "id"]
    _check_fields(spec, names)
    names = [f for f in dict.fromkeys(names) if f != "id"]
    helpers = {"is_company", "country_id", "name", "email", "parent_id", "type", "module"}
    rows = env.rows(spec, id_list, [c for c in spec.columns if c in names or c in helpers])
    ordered = [rows[i] for i in dict.fromkeys(id_list) if i in rows]
    need_names = "display_name" in names or any(f in spec.one2many for f in names)
    own_names = display_names(env, spec, [r["id"] for r in ordered]) if need_names else {}
    m2o_names = _many2one_names(env, spec, names, ordered) if load != "_classic_write" else {}
    x2many = {
        f: _x2many_ids(env, spec, f, [r["id"] for r in ordered])
        for f in names
        if spec.fields[f]["type"] in ("one2many", "many2many")
    }
    out = []
    for row in ordered:
        record: dict[str, Any] = {"id": row["id"]}
        for fname in names:
            ftype = spec.fields[fname]["type"]
            if fname in x2many:
                record[fname] = x2many[fname].get(row["id"], [])
            elif fname in spec.columns and ftype == "many2one":
                value = row[fname]
                if not value:
                    record[fname] = False
                elif load == "_classic_write":
                    record[fname] = value
                else:
                    record[fname] = [value, m2o_names.get(fname, {}).get(value, "")]
            elif fname in spec.columns:
                record[fname] = read_value(ftype, row[fname])
            else:
                computed = virtual_value(env, spec, fname, row, own_names)
                record[fname] = empty_value(ftype) if computed is None else computed
        out.append(record)
    return out


def _many2one_names(
    env: Env, spec: ModelSpec, names: list[str], rows: list[dict[str, Any]]
) -> dict[str, dict[int, str]]:
    out: dict[str, dict[int, str]] = {}
    for fname in names:
        comodel = spec.relation(fname)
        if fname in spec.columns and spec.fields[fname]["type"] == "many2one":
            ids = sorted({r[fname] for r in rows if r[fname]})
            if comodel in registry():
                out[fname] = display_names(env, registry()[comodel], ids)
            else:
                out[fname] = {i: f"{comodel},{i}" for i in ids}
    return out


def _x2many_ids(env: Env, spec: ModelSpec, fname: str, ids: list[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    if not ids:
        return out
    marks = ",".join("?" * len(ids))
    if fname in spec.one2many:
        comodel, inverse = spec.one2many[fname]
        co = registry()[comodel]
        active = ' AND "active" = 1' if co.has_active and env.active_test else ""
        sql = (
            f'SELECT "{inverse}", id FROM "{co.table}" WHERE "{inverse}" IN ({marks}){active} '
            f"ORDER BY {order_by(co, None)}"
        )
    elif fname in spec.many2many:
        m2m = spec.many2many[fname]
        sql = f'SELECT "{m2m.column}", "{m2m.other}" FROM "{m2m.table}" WHERE "{m2m.column}" IN ({marks})'
    else:
        return out
    for owner, target in env.conn.execute(sql, ids):
        out.setdefault(owner, []).append(target)
    return out


def search_read(  # noqa: PLR0917 - Odoo's RPC signature, called positionally
    env: Env,
    spec: ModelSpec,
    domain: Any = None,
    fields: list[str] | None = None,
    offset: int = 0,
    limit: int | None = None,
    order: str | None = None,
    load: str = "_classic_read",
) -> list[dict[str, Any]]:
    if fields:
        _check_fields(spec, list(fields))
    ids = search(env, spec, domain, offset, limit, order)
    assert isinstance(ids, list)
    return read(env, spec, ids, fields, load) if ids else []


def name_search(  # noqa: PLR0917 - Odoo's RPC signature, called positionally
    env: Env,
    spec: ModelSpec,
    name: str = "",
    args: Any = None,
    operator: str = "ilike",
    limit: int | None = 100,
) -> list[list[Any]]:
    domain = list(args or [])
    if name:
        if spec.name == "res.partner":
            keys = ["complete_name", "email", "ref", "vat", "company_registry"]
            domain += ["|"] * (len(keys) - 1) + [[k, operator, name] for k in keys]
        elif spec.name == "res.country" and len(name) == 2:
            domain += ["|", ["code", "=ilike", name], [spec.rec_name, operator, name]]
        else:
            domain += [[spec.rec_name, operator, name]]
    ids = search(env, spec, domain, limit=limit)
    assert isinstance(ids, list)
    labels = display_names(env, spec, ids)
    return [[i, labels.get(i, "")] for i in ids]
