"""Odoo search domains and order specs, translated to SQLite SQL.

A domain is a list in prefix (Polish) notation: `'&'`, `'|'` (binary) and `'!'`
(unary) operators, with neighbouring terms implicitly ANDed. Each leaf
`[path, operator, value]` becomes one SQL condition; dotted paths and
relational fields become sub-selects on the related table, the way Odoo's
`expression.py` does it. Null semantics follow PostgreSQL under Odoo: `false`
stands for NULL (and for '' on text fields), negative operators also match NULL.
"""

from __future__ import annotations

import re
from typing import Any

from connectors.odoo.sandbox.catalog import ModelSpec, registry
from connectors.odoo.sandbox.exceptions import PyValueError, UserError

TERM_OPERATORS = frozenset(
    {
        "=",
        "!=",
        "<>",
        ">",
        ">=",
        "<",
        "<=",
        "=?",
        "like",
        "not like",
        "ilike",
        "not ilike",
        "=like",
        "=ilike",
        "in",
        "not in",
        "child_of",
        "parent_of",
        "any",
        "not any",
    }
)
TEXT_TYPES = frozenset({"char", "text", "html", "selection"})
NEGATIVE = frozenset({"!=", "<>", "not like", "not ilike", "not in"})
TRUE_SQL, FALSE_SQL = "1=1", "0=1"

# Non-stored fields Odoo can still search, rewritten onto stored ones.
SEARCH_ALIASES = {
    ("res.partner", "display_name"): "complete_name",
    ("res.partner", "company_type"): "is_company",
    ("res.partner", "country_code"): "country_id.code",
    ("res.users", "email"): "partner_id.email",
}


def leaf_repr(leaf: Any) -> str:
    return repr(tuple(leaf)) if isinstance(leaf, list | tuple) else repr(leaf)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _is_false(value: Any) -> bool:
    return value is False or value is None


class DomainCompiler:
    """Compiles one domain against one model into (sql, params)."""

    def __init__(self, spec: ModelSpec, active_test: bool = True) -> None:
        self.spec = spec
        self.active_test = active_test
        self.params: list[Any] = []

    # -- structure ----------------------------------------------------------

    def compile(self, domain: Any) -> str:
        if domain in (None, False):
            domain = []
        if not isinstance(domain, list | tuple):
            raise PyValueError(f"Invalid domain: {domain!r}")
        # Leaves are compiled in reverse (prefix notation), so each keeps its own
        # parameters and fragments are joined in text order at the end.
        outer = self.params
        stack: list[tuple[str, list[Any]]] = []
        for item in reversed(list(domain)):
            if item in ("&", "|"):
                if len(stack) < 2:
                    raise PyValueError(f"Invalid domain {list(domain)!r}: operator {item!r} lacks operands")
                (left, lp), (right, rp) = stack.pop(), stack.pop()
                stack.append((f"({left} {'AND' if item == '&' else 'OR'} {right})", lp + rp))
            elif item == "!":
                if not stack:
                    raise PyValueError(f"Invalid domain {list(domain)!r}: '!' lacks an operand")
                sql, params = stack.pop()
                stack.append((f"(NOT {sql})", params))
            else:
                self.params = []
                sql = self.leaf(item)
                stack.append((sql, self.params))
        self.params = outer
        conditions = []
        for sql, params in reversed(stack):
            conditions.append(sql)
            outer.extend(params)
        if self.active_test and self.spec.has_active and not _mentions_active(domain):
            conditions.append('"active" = 1')
        return " AND ".join(conditions) if conditions else TRUE_SQL

    def leaf(self, leaf: Any) -> str:
        if not isinstance(leaf, list | tuple) or len(leaf) != 3:
            raise PyValueError(f"Invalid leaf {leaf_repr(leaf)}")
        left, op, value = leaf
        if left in (0, 1) and op == "=" and value == 1:  # TRUE_LEAF / FALSE_LEAF
            return TRUE_SQL if left == 1 else FALSE_SQL
        if not isinstance(left, str) or not isinstance(op, str) or op.lower() not in TERM_OPERATORS:
            raise PyValueError(f"Invalid leaf {leaf_repr(leaf)}")
        return self.term(left, op.lower(), value, leaf)

    # -- one term -----------------------------------------------------------

    def term(self, path: str, op: str, value: Any, leaf: Any) -> str:  # noqa: PLR0911 - one branch per kind of leaf
        spec = self.spec
        head, _, rest = path.partition(".")
        alias = SEARCH_ALIASES.get((spec.name, head))
        if head not in spec.fields:
            raise PyValueError(f"Invalid field {spec.name}.{head} in leaf {leaf_repr(leaf)}")
        if alias and not rest:
            if alias == "is_company" and op in ("=", "!=", "in", "not in"):
                return self._company_type(op, value)
            return self.term(alias, op, value, leaf)
        if op == "<>":
            op = "!="
        ftype = spec.ftype(head)
        if rest:
            if ftype not in ("many2one", "one2many", "many2many"):
                raise PyValueError(f"Invalid field {spec.name}.{head} in leaf {leaf_repr(leaf)}")
            return self._related(head, lambda sub: sub.term(rest, op, value, leaf), leaf)
        if op in ("any", "not any"):
            sql = self._related(head, lambda sub: sub.compile(value), leaf)
            return sql if op == "any" else f"(NOT {sql})"
        if op in ("child_of", "parent_of"):
            return self._hierarchy(head, op, value, leaf)
        if head == "id":
            return self._column("id", "integer", op, value)
        if ftype == "many2one" and _has_names(value) and head in spec.columns:
            comodel = registry()[str(spec.relation(head))]
            return self._related(head, lambda sub: sub.term(comodel.rec_name, op, value, leaf), leaf)
        if ftype in ("one2many", "many2many"):
            return self._x2many(head, op, value, leaf)
        if head not in spec.columns:
            raise PyValueError(f"Non-stored field {spec.name}.{head} cannot be searched.")
        return self._column(head, ftype, op, value)

    def _company_type(self, op: str, value: Any) -> str:
        values = value if isinstance(value, list | tuple) else [value]
        flags = [v == "company" for v in values]
        positive = op in ("=", "in")
        if True in flags and False in flags:
            return TRUE_SQL if positive else FALSE_SQL
        want_company = flags[0] if flags else False
        if not positive:
            want_company = not want_company
        return '"is_company" = 1' if want_company else '("is_company" IS NULL OR "is_company" = 0)'

    def _sub(self, model: str, active_test: bool) -> DomainCompiler:
        sub = DomainCompiler(registry()[model], active_test)
        sub.params = self.params  # share one parameter list, in SQL text order
        return sub

    def _related(self, head: str, build: Any, leaf: Any) -> str:
        """A condition on the records a relational field points at, as a sub-select."""
        spec = self.spec
        ftype, comodel = spec.ftype(head), spec.relation(head)
        if comodel not in registry():
            raise PyValueError(f"Invalid field {spec.name}.{head} in leaf {leaf_repr(leaf)}")
        sub_model = registry()[comodel]
        if ftype == "many2one" and head in spec.columns:
            inner = build(self._sub(comodel, active_test=False))
            return f'"{head}" IN (SELECT id FROM "{sub_model.table}" WHERE {inner})'
        if head in spec.one2many:
            _, inverse = spec.one2many[head]
            inner = build(self._sub(comodel, active_test=True))
            table = sub_model.table
            return f'id IN (SELECT "{inverse}" FROM "{table}" WHERE "{inverse}" IS NOT NULL AND {inner})'
        if head in spec.many2many:
            m2m = spec.many2many[head]
            inner = build(self._sub(comodel, active_test=True))
            return (
                f'id IN (SELECT "{m2m.column}" FROM "{m2m.table}" WHERE "{m2m.other}" IN '
                f'(SELECT id FROM "{sub_model.table}" WHERE {inner}))'
            )
        raise PyValueError(f"Non-stored field {spec.name}.{head} cannot be searched.")

    def _x2many(self, head: str, op: str, value: Any, leaf: Any) -> str:
        comodel = (
            registry()[str(self.spec.relation(head))] if self.spec.relation(head) in registry() else None
        )
        if comodel is None:
            raise PyValueError(f"Non-stored field {self.spec.name}.{head} cannot be searched.")
        if _has_names(value):
            return self._related(head, lambda sub: sub.term(comodel.rec_name, op, value, leaf), leaf)
        if op in ("=", "!=") and _is_false(value):
            has_any = self._related(head, lambda sub: TRUE_SQL, leaf)
            return has_any if op == "!=" else f"(NOT {has_any})"
        ids = value if isinstance(value, list | tuple) else [value]
        if op in ("=", "in"):
            return self._related(head, lambda sub: sub._column("id", "integer", "in", ids), leaf)
        if op in ("!=", "not in"):
            return f"(NOT {self._related(head, lambda sub: sub._column('id', 'integer', 'in', ids), leaf)})"
        raise PyValueError(f"Invalid leaf {leaf_repr(leaf)}")

    def _hierarchy(self, head: str, op: str, value: Any, leaf: Any) -> str:
        target = self.spec if head == "id" else registry().get(str(self.spec.relation(head)))
        if target is None or not target.parent_name:
            raise PyValueError(f"Invalid leaf {leaf_repr(leaf)}: {head} is not hierarchical")
        if _has_names(value):
            names = value if isinstance(value, list | tuple) else [value]
            seeds = (
                f'SELECT id FROM "{target.table}" WHERE "{target.rec_name}" IN ({",".join("?" * len(names))})'
            )
            self.params.extend(names)
        else:
            ids = [v for v in (value if isinstance(value, list | tuple) else [value]) if not _is_false(v)]
            if not ids:
                return FALSE_SQL
            seeds = f'SELECT id FROM "{target.table}" WHERE id IN ({",".join("?" * len(ids))})'
            self.params.extend(int(i) for i in ids)
        parent, table = target.parent_name, target.table
        step = (
            f'SELECT c.id FROM "{table}" c JOIN tree ON c."{parent}" = tree.id'
            if op == "child_of"
            else f'SELECT p."{parent}" FROM "{table}" p JOIN tree ON p.id = tree.id '
            f'WHERE p."{parent}" IS NOT NULL'
        )
        column = "id" if head == "id" else f'"{head}"'
        return f"{column} IN (WITH RECURSIVE tree(id) AS ({seeds} UNION {step}) SELECT id FROM tree)"

    def _column(self, col: str, ftype: str, op: str, value: Any) -> str:  # noqa: PLR0911 - one branch per operator family
        c = "id" if col == "id" else f'"{col}"'
        empty = (
            f"({c} IS NULL OR {c} = '')"
            if ftype in TEXT_TYPES
            else (f"({c} IS NULL OR {c} = 0)" if ftype == "boolean" else f"{c} IS NULL")
        )
        if op == "=?":
            if _is_false(value):
                return TRUE_SQL
            op = "="
        if op in ("in", "not in"):
            return self._in(c, ftype, op, value, empty)
        if ftype == "boolean" and not _is_false(value):
            value = 1 if value else 0
            if value == 0 and op in ("=", "!="):
                return empty if op == "=" else f"{c} = 1"
        if ftype == "datetime" and isinstance(value, str) and len(value) == 10:
            value += " 23:59:59" if op in (">", "<=") else " 00:00:00"
        if op == "=":
            return empty if _is_false(value) else self._bind(f"{c} = ?", value)
        if op == "!=":
            return f"NOT {empty}" if _is_false(value) else self._bind(f"({c} != ? OR {c} IS NULL)", value)
        if op in ("<", "<=", ">", ">="):
            return FALSE_SQL if _is_false(value) else self._bind(f"{c} {op} ?", value)
        return self._like(c, op, value)

    def _in(self, c: str, ftype: str, op: str, value: Any, empty: str) -> str:
        values = list(value) if isinstance(value, list | tuple) else [value]
        has_false = any(_is_false(v) for v in values)
        real = [(1 if v else 0) if ftype == "boolean" else v for v in values if not _is_false(v)]
        marks = ",".join("?" * len(real))
        if op == "in":
            parts = [f"{c} IN ({marks})"] if real else []
            if has_false:
                parts.append(empty)
            self.params.extend(real)
            return "(" + " OR ".join(parts) + ")" if parts else FALSE_SQL
        self.params.extend(real)
        if has_false:
            return f"(NOT {empty} AND {c} NOT IN ({marks}))" if real else f"(NOT {empty})"
        return f"({c} NOT IN ({marks}) OR {c} IS NULL)" if real else TRUE_SQL

    def _like(self, c: str, op: str, value: Any) -> str:
        text = "" if _is_false(value) else str(value)
        pattern = text if op.startswith("=") else f"%{_escape_like(text)}%"
        if "ilike" in op:
            sql = f"ob_lower({c}) LIKE ob_lower(?) ESCAPE '\\'"
        else:
            sql = f"{c} LIKE ? ESCAPE '\\'"
        sql = self._bind(sql, pattern)
        return f"({c} IS NULL OR NOT {sql})" if op.startswith("not") else sql

    def _bind(self, sql: str, value: Any) -> str:
        self.params.append(value)
        return sql


def _has_names(value: Any) -> bool:
    values = value if isinstance(value, list | tuple) else [value]
    return bool(values) and all(isinstance(v, str) for v in values)


def _mentions_active(domain: Any) -> bool:
    return any(isinstance(item, list | tuple) and item and item[0] == "active" for item in domain)


NEVER_NULL = frozenset({"id", "create_date", "write_date"})
_ORDER_TERM = re.compile(r"^\s*([A-Za-z0-9_.]+)(?:\s+(asc|desc))?(?:\s+nulls\s+(first|last))?\s*$", re.I)


def order_by(spec: ModelSpec, order: str | None) -> str:
    """An Odoo order spec as SQL, with PostgreSQL's NULL placement (last when ascending)."""
    terms = []
    for word in (order or spec.order).split(","):
        match = _ORDER_TERM.match(word)
        fname = match.group(1) if match else ""
        if fname == "display_name":
            fname = spec.rec_name
        if not match or (fname != "id" and fname not in spec.columns):
            raise UserError(
                f'Invalid "order" specified ({word.strip()}). '
                'A valid "order" specification is a comma-separated '
                "list of valid field names (optionally followed by asc/desc for the direction)"
            )
        direction = (match.group(2) or "asc").upper()
        nulls = (match.group(3) or ("last" if direction == "ASC" else "first")).lower()
        col = "id" if fname == "id" else f'"{fname}"'
        if fname in NEVER_NULL:  # keeps the (write_date, id) index usable for ordering
            terms.append(f"{col} {direction}")
        else:
            terms.append(f"({col} IS NULL) {'ASC' if nulls == 'last' else 'DESC'}, {col} {direction}")
    return ", ".join(terms)
