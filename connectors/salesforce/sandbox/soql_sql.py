"""Translate a parsed SOQL query into SQL over the sandbox tables.

Filtering and ordering run inside SQLite (with indexes), not in Python over all
rows, so paging through 100,000 records stays fast. Names are resolved
case-insensitively against the describe; parent relationship fields (`Account.Name`)
become LEFT JOINs. SOQL null semantics differ from SQL (`!=` and `NOT IN` match
null values), and the translation keeps SOQL's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connectors.salesforce.sandbox.date_literals import day_range, range_condition
from connectors.salesforce.sandbox.errors import SfError
from connectors.salesforce.sandbox.ids import normalize_id
from connectors.salesforce.sandbox.schema import INT_TYPES, REAL_TYPES, Catalog, FieldSpec, ObjectSpec
from connectors.salesforce.sandbox.soql import (
    BoolOp,
    Comparison,
    FieldRef,
    Literal,
    Not,
    Query,
    located_error,
)
from connectors.salesforce.sandbox.store import format_datetime, q
from connectors.salesforce.sandbox.values import ADDRESS_PARTS, BadValue, parse_datetime_text

MAX_OFFSET = 2000


@dataclass(frozen=True)
class Column:
    """One selected (or filtered) field: which table alias, which field, under which relationship."""

    alias: str
    spec: ObjectSpec
    field: FieldSpec
    relationship: FieldSpec | None  # the lookup field on the base object, for parent fields

    @property
    def sql(self) -> str:
        return f"{self.alias}.{q(self.field.name)}"

    @property
    def label(self) -> str:
        return f"{self.alias}_{self.field.name}"


@dataclass
class Plan:
    """A query ready to run: the base object, the joins, and the two SQL statements."""

    spec: ObjectSpec
    columns: list[Column]
    count_only: bool
    ids_sql: str = ""
    ids_params: list[Any] = field(default_factory=list)
    joins: dict[str, tuple[str, ObjectSpec, FieldSpec]] = field(default_factory=dict)

    def page_sql(self, n: int) -> str:
        """Fetch full rows for a chunk of base rowids (order restored by the caller)."""
        cols = ["t0.rowid AS _rid", 't0."Id" AS _base_id']
        for c in self.columns:
            if c.field.type == "address":
                prefix = c.field.name[: -len("Address")]
                cols += [
                    f"{c.alias}.{q(prefix + p)} AS {q(c.alias + '_' + prefix + p)}" for p in ADDRESS_PARTS
                ]
            else:
                cols.append(f"{c.sql} AS {q(c.label)}")
        for alias in self.joins:
            cols.append(f'{alias}."Id" AS {q(alias + "__Id")}')
        marks = ", ".join("?" for _ in range(n))
        return f"SELECT {', '.join(cols)} FROM {self._from()} WHERE t0.rowid IN ({marks})"

    def _from(self) -> str:
        parts = [f"{q(self.spec.name)} t0"]
        for alias, (_, target, ref) in self.joins.items():
            parts.append(f'LEFT JOIN {q(target.name)} {alias} ON {alias}."Id" = t0.{q(ref.name)}')
        return " ".join(parts)


class Translator:
    def __init__(self, catalog: Catalog, query: Query, include_deleted: bool) -> None:
        self.catalog = catalog
        self.query = query
        self.include_deleted = include_deleted
        spec = catalog.get(query.sobject)
        if spec is None:
            raise located_error(
                "INVALID_TYPE",
                query.text,
                query.sobject_pos,
                f"sObject type '{query.sobject}' is not supported. If you are attempting to use a custom "
                "object, be sure to append the '__c' after the entity name. Please reference your WSDL or "
                "the describe call for the appropriate names.",
            )
        self.spec = spec
        self.plan = Plan(spec=spec, columns=[], count_only=query.count_only)
        self.params: list[Any] = []

    def translate(self) -> Plan:
        qy = self.query
        seen: set[str] = set()
        for ref in qy.fields:
            col = self.resolve(ref)
            key = col.label.lower()
            if key in seen:
                raise located_error(
                    "MALFORMED_QUERY", qy.text, ref.pos, f"duplicate field selected: {ref.dotted}"
                )
            seen.add(key)
            self.plan.columns.append(col)
        where = [] if self.include_deleted else ['t0."IsDeleted" = 0']
        if qy.where is not None:
            where.append(self.condition(qy.where))
        order = [self.order_item(o) for o in qy.order] + ["t0.rowid"]
        if qy.offset is not None and qy.offset > MAX_OFFSET:
            raise SfError("NUMBER_OUTSIDE_VALID_RANGE", f"Maximum SOQL offset allowed is {MAX_OFFSET}")
        sql = f"SELECT t0.rowid FROM {self.plan._from()}"
        if where:
            sql += " WHERE " + " AND ".join(f"({w})" for w in where)
        sql += " ORDER BY " + ", ".join(order)
        sql += f" LIMIT {qy.limit if qy.limit is not None else -1}"
        if qy.offset:
            sql += f" OFFSET {qy.offset}"
        self.plan.ids_sql = sql
        self.plan.ids_params = self.params
        return self.plan

    # -- names --------------------------------------------------------------------------------
    def _no_column(self, ref: FieldRef, entity: str) -> SfError:
        return located_error(
            "INVALID_FIELD",
            self.query.text,
            ref.pos,
            f"No such column '{ref.path[-1]}' on entity '{entity}'. If you are attempting to use a custom "
            "field, be sure to append the '__c' after the custom field name. Please reference your WSDL or "
            "the describe call for the appropriate names.",
        )

    def resolve(self, ref: FieldRef) -> Column:
        path = list(ref.path)
        if (
            len(path) > 1
            and path[0].lower() == self.spec.name.lower()
            and self.spec.relationship(path[0]) is None
        ):
            path = path[1:]
        if len(path) == 1:
            f = self.spec.field(path[0])
            if f is None:
                raise self._no_column(ref, self.spec.name)
            return Column("t0", self.spec, f, None)
        if len(path) == 2:
            rel = self.spec.relationship(path[0])
            target = None
            if rel is not None:
                target = next(
                    (self.catalog.objects[t] for t in rel.reference_to if t in self.catalog.objects), None
                )
            if rel is None or target is None:
                raise located_error(
                    "INVALID_FIELD",
                    self.query.text,
                    ref.pos,
                    f"Didn't understand relationship '{path[0]}' in field path. "
                    "If you are attempting to use a "
                    "custom relationship, be sure to append the '__r' after the custom relationship name. "
                    "Please reference your WSDL or the describe call for the appropriate names.",
                )
            f = target.field(path[1])
            if f is None:
                raise self._no_column(ref, target.name)
            alias = self._join(rel, target)
            return Column(alias, target, f, rel)
        raise self._no_column(ref, self.spec.name)

    def _join(self, rel: FieldSpec, target: ObjectSpec) -> str:
        for alias, (name, _, _) in self.plan.joins.items():
            if name == rel.name:
                return alias
        alias = f"t{len(self.plan.joins) + 1}"
        self.plan.joins[alias] = (rel.name, target, rel)
        return alias

    # -- conditions ---------------------------------------------------------------------------
    def condition(self, node: Any) -> str:
        if isinstance(node, BoolOp):
            return f" {node.op} ".join(f"({self.condition(i)})" for i in node.items)
        if isinstance(node, Not):
            return f"NOT COALESCE(({self.condition(node.item)}), 0)"
        assert isinstance(node, Comparison)
        return self.comparison(node)

    def comparison(self, node: Comparison) -> str:  # noqa: PLR0911 - one return per SOQL operator shape
        col = self.resolve(node.field)
        if col.field.type in ("address", "location"):
            raise located_error(
                "INVALID_FIELD",
                self.query.text,
                node.field.pos,
                f"field '{col.field.name}' can not be filtered in a query call",
            )
        if node.op in ("IN", "NOTIN"):
            assert isinstance(node.value, tuple)
            values = [self.value(col, v) for v in node.value]
            non_null = [v for v in values if v is not None]
            marks = ", ".join("?" for _ in non_null)
            self.params.extend(non_null)
            has_null = len(non_null) != len(values)
            if node.op == "IN":
                sql = f"{col.sql} IN ({marks})" if non_null else "0"
                return f"({sql} OR {col.sql} IS NULL)" if has_null else sql
            sql = f"({col.sql} IS NULL OR {col.sql} NOT IN ({marks}))" if non_null else "1"
            return f"({sql} AND {col.sql} IS NOT NULL)" if has_null else sql
        assert isinstance(node.value, Literal)
        if node.value.kind == "dateliteral":
            return self.date_range(col, node.op, node.value)
        if node.op == "LIKE":
            if node.value.kind != "string" or col.field.type in INT_TYPES | REAL_TYPES | {
                "boolean",
                "date",
                "datetime",
            }:
                raise located_error(
                    "INVALID_QUERY_FILTER_OPERATOR",
                    self.query.text,
                    node.field.pos,
                    f"invalid operator on {col.field.type} field: LIKE",
                )
            self.params.append(node.value.value)
            return f"{col.sql} LIKE ? ESCAPE '\\'"
        value = self.value(col, node.value)
        if value is None:
            if node.op == "=":
                return f"{col.sql} IS NULL"
            if node.op == "!=":
                return f"{col.sql} IS NOT NULL"
            return "0"
        self.params.append(value)
        if node.op == "!=":
            return f"{col.sql} IS NOT ?"
        return f"{col.sql} {node.op} ?"

    def date_range(self, col: Column, op: str, lit: Literal) -> str:
        """`CreatedDate > LAST_N_DAYS:7`: a relative date literal compared as a range of days."""
        f = col.field
        if f.type not in ("date", "datetime"):
            raise located_error(
                "INVALID_FIELD",
                self.query.text,
                lit.pos,
                f"value of filter criterion for field '{f.name}' must be of type {f.type} and should "
                "be enclosed in quotes",
            )
        try:
            first, after = day_range(lit.value)
            if op == "LIKE":
                raise ValueError(op)
        except ValueError:
            raise located_error(
                "MALFORMED_QUERY", self.query.text, lit.pos, f"unexpected token: {lit.value}"
            ) from None
        if f.type == "date":
            lo, hi = first.isoformat(), after.isoformat()
        else:
            lo = format_datetime(datetime(first.year, first.month, first.day, tzinfo=UTC))
            hi = format_datetime(datetime(after.year, after.month, after.day, tzinfo=UTC))
        sql, params = range_condition(col.sql, op, lo, hi)
        self.params.extend(params)
        return sql

    def value(self, col: Column, lit: Literal) -> Any:  # noqa: PLR0911, PLR0912 - a dispatch on field type
        """Check the literal against the field type and convert it to the stored form."""
        f = col.field
        if lit.kind == "null":
            return None
        t = f.type
        if t == "datetime":
            if lit.kind != "datetime":
                raise self._type_error(f, lit, "dateTime")
            try:
                return format_datetime(parse_datetime_text(lit.value))
            except BadValue:
                raise self._type_error(f, lit, "dateTime") from None
        if t == "date":
            if lit.kind != "date":
                raise self._type_error(f, lit, "date")
            return lit.value
        if t == "boolean":
            if lit.kind != "boolean":
                raise self._type_error(f, lit, "boolean")
            return int(lit.value)
        if t in INT_TYPES or t in REAL_TYPES:
            if lit.kind != "number":
                raise self._type_error(f, lit, "double" if t in REAL_TYPES else "int")
            return lit.value
        if lit.kind != "string":
            raise located_error(
                "INVALID_FIELD",
                self.query.text,
                lit.pos,
                f"value of filter criterion for field '{f.name}' must be of type {t} and should be enclosed "
                "in quotes",
            )
        if t in ("id", "reference"):
            full = normalize_id(lit.value)
            if full is None:
                raise located_error(
                    "INVALID_QUERY_FILTER_OPERATOR",
                    self.query.text,
                    lit.pos,
                    f"invalid ID field: {lit.value}",
                )
            return full
        return lit.value

    def _type_error(self, f: FieldSpec, lit: Literal, expected: str) -> SfError:
        return located_error(
            "INVALID_FIELD",
            self.query.text,
            lit.pos,
            f"value of filter criterion for field '{f.name}' must be of type {expected} and should not be "
            "enclosed in quotes",
        )

    def order_item(self, item: Any) -> str:
        col = self.resolve(item.field)
        direction = "DESC" if item.descending else "ASC"
        nulls = "NULLS LAST" if item.nulls_last else "NULLS FIRST"
        return f"{col.sql} {direction} {nulls}"


def translate(catalog: Catalog, query: Query, include_deleted: bool) -> Plan:
    return Translator(catalog, query, include_deleted).translate()
