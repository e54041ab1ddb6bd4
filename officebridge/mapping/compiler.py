"""Compile a `Mapping` into one plain Python function per sync.

The whole record mapping is generated as Python source (expressions already
checked and rewritten by `expressions`, simple transforms inlined, converters
and value maps bound as globals), compiled once, and executed with no
builtins. Per record there is no spec interpretation, only the statements the
analyst's rules stand for, so the mapping costs about what a hand-written
function costs (benchmarks/mapping.py).

Errors: the generated code has one `try` around all fields; when a value is
unusable the handler finds the target field from the failing line number
(zero cost on the happy path) and raises `RecordError(stage="map")` naming the
field and the value, masked when the field is sensitive.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from officebridge.errors import RecordError
from officebridge.mapping.checks import source_reads
from officebridge.mapping.expressions import compile_expression, expression_globals, local_name
from officebridge.mapping.spec import FieldRule, KeyFrom, Mapping
from officebridge.mapping.transforms import render
from officebridge.mapping.values import ValueProblem, shown

_SIMPLE = (str, int, float, bool, type(None))


@dataclass(frozen=True, slots=True)
class LookupRef:
    """A target field whose mapped value is a key the engine must resolve per batch."""

    target_field: str
    via: Literal["target", "link"]
    object: str | None  # target-system object searched (via target)
    field: str | None  # field of that object holding the key (via target)
    sync: str | None  # sync whose links map the key (a source id) to a target id (via link)
    missing: Literal["error", "null"]
    side: Literal["source", "target"] = "source"  # via link: which side of `sync` the key is an id of


@dataclass(frozen=True, slots=True)
class CompiledMapping:
    """What the sync engine runs: `map(record)` plus what it needs to know around it."""

    name: str
    mapping: Mapping
    source_fields: tuple[str, ...]
    lookups: tuple[LookupRef, ...]
    match_field: str | None
    sensitive: frozenset[str]
    map: Callable[[dict[str, Any]], dict[str, Any] | None]
    source_code: str = field(repr=False, default="")


class _Writer:
    """Accumulates generated lines, bindings, and which line belongs to which field."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.owner: dict[int, str] = {}
        self.ns: dict[str, Any] = expression_globals()
        self.ns.update({"str": str, "Exception": Exception, "_NO": _NO, "ValueProblem": ValueProblem,
                        "_iso_day": _iso_day})  # fmt: skip

    def emit(self, text: str, target: str | None = None, indent: int = 2) -> None:
        self.lines.append("    " * indent + text)
        if target is not None:
            self.owner[len(self.lines)] = target

    def bind(self, name: str, value: Any) -> str:
        self.ns[name] = value
        return name


_NO = object()  # "not in the value map"


def _literal(value: Any, w: _Writer, name: str) -> str:
    if isinstance(value, _SIMPLE) and not (isinstance(value, float) and math.isnan(value)):
        return repr(value)
    return w.bind(name, value)


def _key_source(key: KeyFrom) -> str:
    if key.field is not None:
        return f"_get({key.field!r})"
    assert key.expr is not None
    return f"({compile_expression(key.expr).source})"


def _value_source(rule: FieldRule, w: _Writer, n: int) -> str:
    if rule.source == "copy":
        return f"_get({rule.copy!r})"
    if rule.source == "constant":
        return _literal(rule.constant, w, f"c_{n}")
    if rule.source == "expr":
        assert rule.expr is not None
        return f"({compile_expression(rule.expr).source})"
    spec = rule.lookup or rule.link
    assert spec is not None
    return _key_source(spec.key)


def _is_plain(rule: FieldRule) -> bool:
    return not (rule.transforms or rule.value_map is not None or rule.has_default or rule.required)


def _emit_rule(rule: FieldRule, w: _Writer, n: int) -> str:
    """Emit statements computing the rule; return the expression holding the result."""
    t = rule.target
    source = _value_source(rule, w, n)
    if _is_plain(rule):
        out = f"o_{n}"
        w.emit(f"{out} = {source}", t)
        return out
    w.emit(f"v = {source}", t)
    methods: list[str] = []  # a run of text steps is one test and one chain: v.strip().lower()
    for i, step in enumerate(rule.transforms):
        if step.name in _TEXT_METHODS:
            methods.append(step.name)
            continue
        _emit_methods(methods, w, t)
        done = render(step, f"{n}_{i}")
        for name, value in done.bindings.items():
            w.bind(name, value)
        if _is_iso_date(step) and done.lines == [f"v = t_{n}_{i}(v)"]:
            # ISO text, the usual case, parsed inline by the converter's own function; the
            # converter itself takes everything else (None, '', a date, what does not parse)
            w.emit("if v.__class__ is str and v and (iso := _iso_day(v)) is not None: v = iso", t)
            w.emit(f"else: v = t_{n}_{i}(v)", t)
            continue
        for line in done.lines:
            w.emit(line, t)
    _emit_methods(methods, w, t)
    if rule.value_map is not None:
        _emit_value_map(rule, w, n)
    if rule.has_default:
        w.emit(f"if v is None or v == '': v = {_literal(rule.default, w, f'd_{n}')}", t)
    if rule.required:
        w.emit("if v is None or v == '': raise ValueProblem('REQUIRED', 'is required but empty', v)", t)
    w.emit(f"o_{n} = v", t)
    return f"o_{n}"


def _emit_value_map(rule: FieldRule, w: _Writer, n: int) -> None:
    t = rule.target
    vmap = w.bind(f"m_{n}", dict(rule.value_map or {}))
    if rule.unmapped == "null":  # not in the map and mapped to null are both None
        w.emit(f"v = {vmap}.get(v)", t)
        return
    w.emit(f"w = {vmap}.get(v, _NO)", t)
    w.emit("if w is not _NO: v = w", t)
    if rule.unmapped != "keep":
        w.emit("elif v is not None: raise ValueProblem('UNMAPPED', 'has no entry in the value map', v)", t)


def _is_iso_date(step: Any) -> bool:
    return bool(step.name == "date" and not step.param("from_format") and not step.param("to_format"))


def _iso_day(text: str) -> str | None:
    """`text` as an ISO date, or None when it is not one (the converter then says why)."""
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        return None


_TEXT_METHODS = frozenset({"strip", "lower", "upper", "title"})  # str methods, applied to text only


def _emit_methods(methods: list[str], w: _Writer, target: str) -> None:
    """Emit a run of text steps (names from `_TEXT_METHODS` only) and empty the run."""
    if methods:
        chain = "".join(f".{name}()" for name in methods)
        w.emit(f"if v.__class__ is str: v = v{chain}", target)
        methods.clear()


def _expression_names(mapping: Mapping) -> list[str]:
    texts = [r.expr for r in mapping.fields if r.expr]
    texts += [k.expr for r in mapping.fields for k in _keys(r) if k.expr]
    if mapping.where:
        texts.append(mapping.where)
    names: list[str] = []
    for text in texts:
        for name in compile_expression(text).names:
            if name not in names:
                names.append(name)
    return names


def _keys(rule: FieldRule) -> list[KeyFrom]:
    return [s.key for s in (rule.lookup, rule.link) if s is not None]


def _source_fields(mapping: Mapping) -> tuple[str, ...]:
    names: list[str] = []
    for name, path, _ in source_reads(mapping):
        if path != ("source", "cursor") and name not in names:
            names.append(name)
    return tuple(names)


def _lookups(mapping: Mapping) -> tuple[LookupRef, ...]:
    refs = []
    for r in mapping.fields:
        if r.lookup is not None:
            refs.append(LookupRef(r.target, "target", r.lookup.object, r.lookup.field, None, r.missing))
        elif r.link is not None:
            refs.append(LookupRef(r.target, "link", None, None, r.link.sync, r.missing, r.link.side))
    return tuple(refs)


def generate(mapping: Mapping) -> tuple[str, dict[str, Any], dict[int, str]]:
    """The mapping function's source, its namespace, and line -> target field."""
    w = _Writer()
    w.lines.append("def _map(record):")
    w.emit("_get = record.get", indent=1)
    for name in _expression_names(mapping):
        w.emit(f"{local_name(name)} = _get({name!r})", indent=1)
    if mapping.where:
        w.emit("try:", indent=1)
        w.emit(f"if not ({compile_expression(mapping.where).source}): return None", "\0where")
        w.emit("except Exception as exc: raise _where_failed(exc) from None", indent=1)
    w.emit("try:", indent=1)
    results = [(r.target, _emit_rule(r, w, n)) for n, r in enumerate(mapping.fields)]
    w.emit("except Exception as exc: raise _field_failed(exc) from None", indent=1)
    body = ", ".join(f"{t!r}: {expr}" for t, expr in results)
    w.emit(f"return {{{body}}}", indent=1)
    return "\n".join(w.lines) + "\n", w.ns, w.owner


def _failure_handlers(
    mapping: Mapping, owner: dict[int, str]
) -> dict[str, Callable[[BaseException], RecordError]]:
    sensitive = mapping.sensitive
    rules = {r.target: r for r in mapping.fields}

    def field_failed(exc: BaseException) -> RecordError:
        if isinstance(exc, RecordError):
            return exc
        tb = exc.__traceback__
        target = owner.get(tb.tb_lineno, "?") if tb is not None else "?"
        masked = target in sensitive
        if isinstance(exc, ValueProblem):
            msg = f"field {target!r}: value {shown(exc.value, masked)} {exc.reason}"
            return RecordError(msg, stage="map", code=exc.code, field=target)
        rule = rules.get(target)
        what = f"expression {rule.expr!r}" if rule is not None and rule.expr else "the value rule"
        detail = type(exc).__name__ if masked else f"{type(exc).__name__}: {exc}"
        message = f"field {target!r}: {what} failed ({detail})"
        return RecordError(message, stage="map", code="EXPRESSION_FAILED", field=target)

    def where_failed(exc: BaseException) -> RecordError:
        detail = f"{type(exc).__name__}: {exc}" if not sensitive else type(exc).__name__
        return RecordError(f"where {mapping.where!r} failed ({detail})", stage="map", code="WHERE_FAILED")

    return {"_field_failed": field_failed, "_where_failed": where_failed}


def compile_mapping(mapping: Mapping) -> CompiledMapping:
    """Generate, compile and wrap the mapping's function (once per run)."""
    source, ns, owner = generate(mapping)
    ns.update(_failure_handlers(mapping, owner))
    exec(compile(source, f"<mapping {mapping.name}>", "exec"), ns)
    return CompiledMapping(
        name=mapping.name,
        mapping=mapping,
        source_fields=_source_fields(mapping),
        lookups=_lookups(mapping),
        match_field=mapping.target.match,
        sensitive=mapping.sensitive,
        map=ns["_map"],
        source_code=source,
    )
