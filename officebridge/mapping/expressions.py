"""Safe expressions: a small Python subset checked node by node.

An expression is parsed with `ast`, every node is checked against a whitelist
(literals, source field names, arithmetic, comparisons, boolean logic,
`x if c else y`, `in`, list/tuple literals, subscripts and calls to the
functions in `functions.FUNCTIONS`), and the tree is then rewritten: field
names become locals `s_<field>`, function names become `f_<name>`, and `**`,
`*`, `%`, `+` and list/tuple literals become calls to size guards, so no
value an expression builds outweighs `functions.MAX_SEQUENCE` (time and memory
per record stay bounded; a breach is a record error, the run goes on). Sizes
known from the text alone (`[Name] * 100000 * 100000`, `round(x, -10**9)`, any
expression without fields) are refused when the mapping loads. What comes out is Python source that the
compiler inlines into the mapping's one generated function, evaluated with no
builtins. Nothing reaches attribute access, imports, lambdas or keywords,
because the whitelist never admits those nodes. We chose this over an
interpreter such as simpleeval because the expression then costs what plain
Python costs (see benchmarks/expressions.py).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

from officebridge.errors import ExpressionError
from officebridge.mapping.functions import ARITY, FUNCTIONS, GUARDS, MAX_ROUND_DIGITS, MAX_SEQUENCE

MAX_LENGTH = 1_000  # characters
MAX_NODES = 250
MAX_DEPTH = 30

_BINOPS: dict[type[ast.operator], str | None] = {
    ast.Add: "_add", ast.Sub: None, ast.Div: None, ast.FloorDiv: None,
    ast.Mult: "_mul", ast.Pow: "_pow", ast.Mod: "_mod",
}  # fmt: skip
_UNARY = (ast.Not, ast.USub, ast.UAdd)
_COMPARE = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot)
_CONSTANTS = (str, int, float, bool, type(None))
_YAML_WORDS: dict[str, bool | None] = {"true": True, "false": False, "null": None}

_WHY_NOT: dict[type[ast.AST], str] = {
    ast.Attribute: "attribute access (.name) is not allowed; use a function such as lower(x)",
    ast.Lambda: "lambda is not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "generator expressions are not allowed",
    ast.NamedExpr: "assignment (:=) is not allowed",
    ast.JoinedStr: "f-strings are not allowed; use concat()",
    ast.Starred: "*arguments are not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.Dict: "dict literals are not allowed",
    ast.Set: "set literals are not allowed",
}


@dataclass(frozen=True, slots=True)
class CompiledExpression:
    """A checked expression: its text, the fields it reads, and its Python source."""

    text: str
    names: tuple[str, ...]  # source fields read, in first-use order
    source: str  # Python source using s_<field>, f_<function>, _mul/_pow/_mod


def local_name(field: str) -> str:
    return "s_" + field


def expression_globals() -> dict[str, Any]:
    """The namespace generated code runs in: no builtins, only the whitelist."""
    ns: dict[str, Any] = {"__builtins__": {}}
    ns.update({"f_" + name: fn for name, fn in FUNCTIONS.items()})
    ns.update(GUARDS)
    return ns


def _column(text: str, node: ast.AST) -> int:
    """1-based character column of a node (ast offsets count UTF-8 bytes)."""
    offset = getattr(node, "col_offset", 0) or 0
    return len(text.encode("utf-8")[:offset].decode("utf-8", errors="ignore")) + 1


class _Checker(ast.NodeTransformer):
    def __init__(self, text: str, fields: frozenset[str] | None) -> None:
        self.text = text
        self.fields = fields
        self.names: list[str] = []
        self.count = 0

    def fail(self, node: ast.AST, message: str) -> ExpressionError:
        col = _column(self.text, node)
        return ExpressionError(self.text, f"{message} (column {col})", col)

    def check(self, node: ast.AST, depth: int = 0) -> ast.AST:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(node, f"expression is too large (more than {MAX_NODES} parts)")
        if depth > MAX_DEPTH:
            raise self.fail(node, f"expression is nested too deeply (more than {MAX_DEPTH} levels)")
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            why = _WHY_NOT.get(type(node), f"{type(node).__name__} is not allowed in an expression")
            raise self.fail(node, why)
        result: ast.AST = method(node, depth + 1)
        return result

    def _Expression(self, node: ast.Expression, d: int) -> ast.AST:
        node.body = self.check(node.body, d)  # type: ignore[assignment]
        return node

    def _Constant(self, node: ast.Constant, d: int) -> ast.AST:
        if not isinstance(node.value, _CONSTANTS):
            raise self.fail(node, f"literal {node.value!r} is not allowed")
        if isinstance(node.value, str) and len(node.value) > MAX_LENGTH:
            raise self.fail(node, "text literal is too long")
        return node

    def _Name(self, node: ast.Name, d: int) -> ast.AST:
        name = node.id
        if name in _YAML_WORDS:  # analysts write YAML all day: true/false/null mean what they say
            return ast.copy_location(ast.Constant(_YAML_WORDS[name]), node)
        if name.startswith("_"):
            raise self.fail(node, f"names starting with '_' are not allowed: {name!r}")
        if name in FUNCTIONS:
            raise self.fail(node, f"{name!r} is a function; call it, e.g. {name}(Field)")
        if self.fields is not None and name not in self.fields:
            hint = get_close_matches(name, sorted(self.fields), n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else ""
            raise self.fail(node, f"unknown field {name!r}{extra}")
        if name not in self.names:
            self.names.append(name)
        return ast.copy_location(ast.Name(id=local_name(name), ctx=ast.Load()), node)

    def _BinOp(self, node: ast.BinOp, d: int) -> ast.AST:
        if type(node.op) not in _BINOPS:
            raise self.fail(node, f"operator {type(node.op).__name__} is not allowed")
        left, right = self.check(node.left, d), self.check(node.right, d)
        assert isinstance(left, ast.expr) and isinstance(right, ast.expr)
        guard = _BINOPS[type(node.op)]
        if guard in ("_add", "_mul") and (_is_real(left) or _is_real(right)):
            guard = None  # nothing sized grows by a float (`x * 0.1`), nor by adding a number (`x + 1`)
        if guard == "_add" and (_is_number(left) or _is_number(right)):
            guard = None
        if guard is None:
            return ast.copy_location(ast.BinOp(left=left, op=node.op, right=right), node)
        call = ast.Call(func=ast.Name(id=guard, ctx=ast.Load()), args=[left, right], keywords=[])
        return ast.copy_location(call, node)

    def _UnaryOp(self, node: ast.UnaryOp, d: int) -> ast.AST:
        if not isinstance(node.op, _UNARY):
            raise self.fail(node, f"operator {type(node.op).__name__} is not allowed")
        node.operand = self.check(node.operand, d)  # type: ignore[assignment]
        return node

    def _BoolOp(self, node: ast.BoolOp, d: int) -> ast.AST:
        node.values = [self.check(v, d) for v in node.values]  # type: ignore[misc]
        return node

    def _Compare(self, node: ast.Compare, d: int) -> ast.AST:
        for op in node.ops:
            if not isinstance(op, _COMPARE):
                raise self.fail(node, f"comparison {type(op).__name__} is not allowed")
        node.left = self.check(node.left, d)  # type: ignore[assignment]
        checked = [self.check(c, d) for c in node.comparators]
        node.comparators = [
            _members(c) if isinstance(op, ast.In | ast.NotIn) else c  # type: ignore[misc]
            for op, c in zip(node.ops, checked, strict=True)
        ]
        return node

    def _IfExp(self, node: ast.IfExp, d: int) -> ast.AST:
        node.test = self.check(node.test, d)  # type: ignore[assignment]
        node.body = self.check(node.body, d)  # type: ignore[assignment]
        node.orelse = self.check(node.orelse, d)  # type: ignore[assignment]
        return node

    def _List(self, node: ast.List | ast.Tuple, d: int) -> ast.AST:
        elts = [self.check(e, d) for e in node.elts]
        guard = "_list" if isinstance(node, ast.List) else "_tuple"
        call = ast.Call(func=ast.Name(id=guard, ctx=ast.Load()), args=elts, keywords=[])  # type: ignore[arg-type]
        return ast.copy_location(call, node)

    _Tuple = _List

    def _Subscript(self, node: ast.Subscript, d: int) -> ast.AST:
        node.value = self.check(node.value, d)  # type: ignore[assignment]
        node.slice = self.check(node.slice, d)  # type: ignore[assignment]
        return node

    def _Slice(self, node: ast.Slice, d: int) -> ast.AST:
        for part in ("lower", "upper", "step"):
            sub = getattr(node, part)
            if sub is not None:
                setattr(node, part, self.check(sub, d))
        return node

    def _Call(self, node: ast.Call, d: int) -> ast.AST:
        if isinstance(node.func, ast.Attribute):
            raise self.fail(node.func, _WHY_NOT[ast.Attribute])
        if not isinstance(node.func, ast.Name):
            raise self.fail(node, "only the listed functions can be called, by name")
        name = node.func.id
        if name not in FUNCTIONS:
            hint = get_close_matches(name, sorted(FUNCTIONS), n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else ""
            raise self.fail(node, f"unknown function {name!r}{extra}")
        if node.keywords:
            raise self.fail(node, f"{name}() takes no keyword arguments")
        fewest, most = ARITY[name]
        n = len(node.args)
        if n < fewest or (most is not None and n > most):
            want = (
                f"{fewest}" if fewest == most else f"{fewest} or more" if most is None else f"{fewest}-{most}"
            )
            raise self.fail(node, f"{name}() takes {want} argument(s), got {n}")
        args = [self.check(a, d) for a in node.args]
        call = ast.Call(func=ast.Name(id="f_" + name, ctx=ast.Load()), args=args, keywords=[])  # type: ignore[arg-type]
        return ast.copy_location(call, node)


def compile_expression(text: str, fields: frozenset[str] | set[str] | None = None) -> CompiledExpression:
    """Check `text` and translate it; raise ExpressionError naming the column.

    `fields`, when given, is the set of known source fields: any other name is
    an error with a did-you-mean suggestion.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError(str(text), "expression is empty", 1)
    if len(text) > MAX_LENGTH:
        raise ExpressionError(text, f"expression is longer than {MAX_LENGTH} characters", 1)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        col = (exc.offset or 1) + (len(text) - len(text.lstrip()))
        raise ExpressionError(text, f"invalid expression: {exc.msg} (column {col})", col) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError(text, "expression is nested too deeply", 1) from None
    _static_sizes(text, tree)
    checker = _Checker(text, frozenset(fields) if fields is not None else None)
    checked = checker.check(tree)
    source = ast.unparse(ast.fix_missing_locations(checked))
    compiled = CompiledExpression(text=text, names=tuple(checker.names), source=source)
    if not compiled.names:
        _try_constant(compiled)
    return compiled


def _members(node: ast.AST) -> ast.AST:
    """The right side of `in`: a list or tuple of literals (checked as such) becomes one tuple constant,
    built once when the mapping is compiled instead of per record (its size is bounded by the text)."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("_list", "_tuple")
        and all(isinstance(a, ast.Constant) for a in node.args)
    ):
        return ast.copy_location(ast.Tuple(elts=list(node.args), ctx=ast.Load()), node)
    return node


def _is_number(node: ast.AST) -> bool:
    value = node.value if isinstance(node, ast.Constant) else None
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_real(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, float)


def _has_fields(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Name) and n.id not in _YAML_WORDS for n in ast.walk(node))


def _constant(node: ast.AST) -> tuple[bool, Any]:
    """(True, value) for a part without fields whose value is small enough to compute (guarded)."""
    if _has_fields(node) or isinstance(node, ast.expr_context):
        return False, None
    try:
        sub = ast.Expression(body=node)  # type: ignore[arg-type]
        checked = _Checker("", None).check(sub)
        source = ast.unparse(ast.fix_missing_locations(checked))
        return True, eval(compile(source, "<expression>", "eval"), expression_globals())
    except Exception:
        return False, None  # the whole expression's own check reports it


def _least_weight(node: ast.AST) -> tuple[int, bool]:
    """A lower bound of the weight of what `node` builds, and whether it is a list, tuple or text."""
    if isinstance(node, ast.Constant):
        return (max(1, len(node.value)), True) if isinstance(node.value, str) else (1, False)
    if isinstance(node, ast.List | ast.Tuple):
        return 1 + sum(_least_weight(e)[0] for e in node.elts), True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        for seq, times in ((node.left, node.right), (node.right, node.left)):
            w, sized = _least_weight(seq)
            known, n = _constant(times)
            if sized and known and isinstance(n, int) and not isinstance(n, bool) and n > 0:
                text = isinstance(seq, ast.Constant)  # a text's weight is its length; a list adds its own 1
                return (w * n, True) if text else ((w - 1) * n + 1, True)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        (a, sa), (b, sb) = _least_weight(node.left), _least_weight(node.right)
        if sa and sb:
            return a + b, True
    return 1, False


def _static_sizes(text: str, tree: ast.AST) -> None:
    """Refuse at load time what is too big by its text alone (a field counts as one element)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.List | ast.Tuple | ast.BinOp):
            w, sized = _least_weight(node)
            if sized and w > MAX_SEQUENCE:
                col = _column(text, node)
                raise ExpressionError(
                    text,
                    f"too long: this builds a list or text of at least {w} elements "
                    f"(at most {MAX_SEQUENCE}) (column {col})",
                    col,
                )
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "round" and len(node.args) == 2:
            known, digits = _constant(node.args[1])
            if known and (not isinstance(digits, int) or abs(digits) > MAX_ROUND_DIGITS):
                col = _column(text, node.args[1])
                raise ExpressionError(
                    text,
                    f"round() digits must be a whole number between -{MAX_ROUND_DIGITS} and "
                    f"{MAX_ROUND_DIGITS} (column {col})",
                    col,
                )


def _try_constant(compiled: CompiledExpression) -> None:
    """An expression without fields is evaluated now, so its errors show at load time."""
    try:
        eval(compile(compiled.source, "<expression>", "eval"), expression_globals())
    except Exception as exc:
        raise ExpressionError(compiled.text, f"expression fails: {exc}", 1) from None


def evaluator(compiled: CompiledExpression) -> Callable[[dict[str, Any]], Any]:
    """A stand-alone function record -> value (tests, benchmarks, the `where` preview)."""
    lines = ["def _expr(record):", "    _get = record.get"]
    lines += [f"    {local_name(n)} = _get({n!r})" for n in compiled.names]
    lines.append(f"    return {compiled.source}")
    ns = expression_globals()
    exec(compile("\n".join(lines), f"<expression {compiled.text!r}>", "exec"), ns)
    fn: Callable[[dict[str, Any]], Any] = ns["_expr"]
    return fn
