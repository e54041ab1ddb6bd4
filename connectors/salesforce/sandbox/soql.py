"""SOQL tokenizer and recursive-descent parser for the subset a sync engine uses.

The parser only builds a syntax tree; names are resolved against the describe and
turned into SQL in `soql_sql.py`. Syntax errors carry the token position so the
MALFORMED_QUERY message can point at the offending column the way Salesforce does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from connectors.salesforce.sandbox.errors import SfError

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2}(?![\dT]))
  | (?P<dateliteral>(?i:(?:LAST|NEXT)_N_DAYS:\d+|TODAY|YESTERDAY|TOMORROW)(?![\w.:]))
  | (?P<number>[+-]?\d+(?:\.\d+)?(?![\w.]))
  | (?P<op>!=|<>|<=|>=|=|<|>)
  | (?P<punct>[(),])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "'": "'", '"': '"', "\\": "\\"}
KEYWORDS = frozenset(
    {
        "SELECT",
        "FROM",
        "WHERE",
        "AND",
        "OR",
        "NOT",
        "IN",
        "LIKE",
        "ORDER",
        "BY",
        "ASC",
        "DESC",
        "NULLS",
        "FIRST",
        "LAST",
        "LIMIT",
        "OFFSET",
        "NULL",
        "TRUE",
        "FALSE",
        "COUNT",
    }
)


@dataclass(frozen=True)
class Token:
    kind: str  # string, datetime, date, dateliteral, number, op, punct, ident, keyword, eof
    text: str
    pos: int

    @property
    def upper(self) -> str:
        return self.text.upper()


@dataclass(frozen=True)
class FieldRef:
    path: tuple[str, ...]
    pos: int

    @property
    def dotted(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Literal:
    kind: str  # string, number, boolean, null, date, datetime, dateliteral (TODAY, LAST_N_DAYS:n...)
    value: Any
    pos: int


@dataclass(frozen=True)
class Comparison:
    field: FieldRef
    op: str  # = != < <= > >= LIKE IN NOTIN
    value: Literal | tuple[Literal, ...]


@dataclass(frozen=True)
class BoolOp:
    op: str  # AND, OR
    items: tuple[Any, ...]


@dataclass(frozen=True)
class Not:
    item: Any


@dataclass(frozen=True)
class OrderItem:
    field: FieldRef
    descending: bool
    nulls_last: bool


@dataclass
class Query:
    fields: list[FieldRef]
    count_only: bool
    sobject: str
    sobject_pos: int
    where: Any = None
    order: list[OrderItem] = field(default_factory=list)
    limit: int | None = None
    offset: int | None = None
    text: str = ""


def malformed(text: str, pos: int, detail: str) -> SfError:
    """Salesforce's MALFORMED_QUERY message: the query, a caret, row/column, the complaint."""
    return SfError("MALFORMED_QUERY", _located(text, pos, detail))


def _located(text: str, pos: int, detail: str) -> str:
    line_start = text.rfind("\n", 0, pos) + 1
    row = text.count("\n", 0, pos) + 1
    col = pos - line_start + 1
    line = text.split("\n")[row - 1] if text else ""
    return f"\n{line}\n{' ' * (col - 1)}^\nERROR at Row:{row}:Column:{col}\n{detail}"


def located_error(code: str, text: str, pos: int, detail: str) -> SfError:
    return SfError(code, _located(text, pos, detail))


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m:
            raise malformed(text, pos, f"unexpected token: '{text[pos]}'")
        kind = m.lastgroup or ""
        if kind != "ws":
            value = m.group()
            if kind == "ident" and value.upper() in KEYWORDS:
                kind = "keyword"
            tokens.append(Token(kind, value, pos))
        pos = m.end()
    tokens.append(Token("eof", "<EOF>", len(text)))
    return tokens


def _unquote(raw: str) -> str:
    body = raw[1:-1]
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)


class Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    # -- token helpers ------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def _fail(self, tok: Token | None = None) -> SfError:
        tok = tok or self.tok
        return malformed(
            self.text, tok.pos, f"unexpected token: {tok.text if tok.kind != 'eof' else '<EOF>'}"
        )

    def _accept(self, *words: str) -> Token | None:
        if self.tok.kind == "keyword" and self.tok.upper in words:
            tok = self.tok
            self.i += 1
            return tok
        return None

    def _expect(self, word: str) -> Token:
        tok = self._accept(word)
        if tok is None:
            raise self._fail()
        return tok

    def _punct(self, ch: str) -> bool:
        if self.tok.kind == "punct" and self.tok.text == ch:
            self.i += 1
            return True
        return False

    def _field(self) -> FieldRef:
        tok = self.tok
        if tok.kind != "ident":
            raise self._fail()
        self.i += 1
        return FieldRef(tuple(tok.text.split(".")), tok.pos)

    def _int(self) -> int:
        tok = self.tok
        if tok.kind != "number" or not tok.text.lstrip("+").isdigit():
            raise self._fail()
        self.i += 1
        return int(tok.text)

    # -- grammar ------------------------------------------------------------------------------
    def parse(self) -> Query:
        self._expect("SELECT")
        fields: list[FieldRef] = []
        count_only = False
        if self.tok.kind == "keyword" and self.tok.upper == "COUNT":
            self.i += 1
            if not (self._punct("(") and self._punct(")")):
                raise self._fail()
            count_only = True
        else:
            fields.append(self._field())
            while self._punct(","):
                fields.append(self._field())
        self._expect("FROM")
        if self.tok.kind != "ident":
            raise self._fail()
        obj = self.tok
        self.i += 1
        query = Query(fields, count_only, obj.text, obj.pos, text=self.text)
        if self._accept("WHERE"):
            query.where = self._condition()
        if self._accept("ORDER"):
            self._expect("BY")
            query.order.append(self._order_item())
            while self._punct(","):
                query.order.append(self._order_item())
        if self._accept("LIMIT"):
            query.limit = self._int()
        if self._accept("OFFSET"):
            query.offset = self._int()
        if self.tok.kind != "eof":
            raise self._fail()
        return query

    def _order_item(self) -> OrderItem:
        ref = self._field()
        descending = bool(self._accept("DESC"))
        if not descending:
            self._accept("ASC")
        nulls_last = descending
        if self._accept("NULLS"):
            word = self._accept("FIRST", "LAST")
            if word is None:
                raise self._fail()
            nulls_last = word.upper == "LAST"
        return OrderItem(ref, descending, nulls_last)

    def _condition(self) -> Any:
        """A chain joined by one kind of connective; SOQL forbids mixing AND and OR unparenthesised."""
        items = [self._unary()]
        op: str | None = None
        while self.tok.kind == "keyword" and self.tok.upper in ("AND", "OR"):
            if op is not None and self.tok.upper != op:
                raise self._fail()
            op = self.tok.upper
            self.i += 1
            items.append(self._unary())
        return items[0] if op is None else BoolOp(op, tuple(items))

    def _unary(self) -> Any:
        if self._accept("NOT"):
            return Not(self._unary())
        if self._punct("("):
            inner = self._condition()
            if not self._punct(")"):
                raise self._fail()
            return inner
        return self._comparison()

    def _comparison(self) -> Comparison:
        ref = self._field()
        tok = self.tok
        if tok.kind == "op":
            self.i += 1
            return Comparison(ref, "!=" if tok.text == "<>" else tok.text, self._literal())
        if self._accept("LIKE"):
            return Comparison(ref, "LIKE", self._literal())
        negated = bool(self._accept("NOT"))
        if self._accept("IN"):
            if not self._punct("("):
                raise self._fail()
            values = [self._literal()]
            while self._punct(","):
                values.append(self._literal())
            if not self._punct(")"):
                raise self._fail()
            return Comparison(ref, "NOTIN" if negated else "IN", tuple(values))
        raise self._fail()

    def _literal(self) -> Literal:
        tok = self.tok
        self.i += 1
        if tok.kind == "string":
            return Literal("string", _unquote(tok.text), tok.pos)
        if tok.kind == "number":
            num = float(tok.text)
            return Literal("number", int(num) if num.is_integer() and "." not in tok.text else num, tok.pos)
        if tok.kind in ("date", "datetime"):
            return Literal(tok.kind, tok.text, tok.pos)
        if tok.kind == "dateliteral":
            return Literal(tok.kind, tok.text.upper(), tok.pos)
        if tok.kind == "keyword" and tok.upper in ("TRUE", "FALSE"):
            return Literal("boolean", tok.upper == "TRUE", tok.pos)
        if tok.kind == "keyword" and tok.upper == "NULL":
            return Literal("null", None, tok.pos)
        raise self._fail(tok)


def parse(text: str) -> Query:
    return Parser(text).parse()
