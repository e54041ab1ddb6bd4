"""The transform vocabulary: what each transform accepts and the code it becomes.

A transform is written as a bare name (`strip`) or a one-key mapping
(`{truncate: {length: 80}}`, or the short form `{truncate: 80}` for its main
parameter). `parse_transform` checks the name and parameters and reports
problems relative to the item; `render` turns a checked step into Python
statements on the variable `v`, which the compiler pastes into the mapping's
generated function. Simple text steps are inlined; the others call a
converter bound once at compile time.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from difflib import get_close_matches
from typing import Any

from officebridge.mapping import timeconv
from officebridge.mapping.phone import is_region, phone_converter
from officebridge.mapping.spec import TransformSpec
from officebridge.mapping.values import ValueProblem

Check = Callable[[Any], str | None]


def _is_int(low: int) -> Check:
    def check(v: Any) -> str | None:
        ok = isinstance(v, int) and not isinstance(v, bool) and v >= low
        return None if ok else f"must be a whole number >= {low}"

    return check


def _one_of(*choices: str) -> Check:
    def check(v: Any) -> str | None:
        if v in choices:
            return None
        hint = get_close_matches(str(v), choices, n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else ""
        return f"must be one of {', '.join(choices)} (got {v!r}){extra}"

    return check


def _text(nonempty: bool) -> Check:
    def check(v: Any) -> str | None:
        if not isinstance(v, str) or (nonempty and v == ""):
            return "must be non-empty text" if nonempty else "must be text"
        return None

    return check


def _region(v: Any) -> str | None:
    return None if is_region(v) else f"must be a two-letter region code such as US or FR (got {v!r})"


def _tz(v: Any) -> str | None:
    ok = isinstance(v, str) and timeconv.zone(v) is not None
    return None if ok else f"must be an IANA time zone such as Europe/Paris or UTC (got {v!r})"


def _style(v: Any) -> str | None:
    """`iso` or an installed system (asked when checked: a plug-in may add one)."""
    return _one_of(*timeconv.styles())(v)


def _field_name(v: Any) -> str | None:
    return None if isinstance(v, str) and v else "must be a source field name"


def _anything(v: Any) -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class Param:
    check: Check
    required: bool = False
    doc: str = ""


@dataclass(frozen=True, slots=True)
class Rendered:
    lines: list[str]
    bindings: dict[str, Any] = field(default_factory=dict)
    reads: tuple[str, ...] = ()  # source fields the step reads besides the value


@dataclass(frozen=True, slots=True)
class TransformDef:
    name: str
    summary: str
    params: dict[str, Param] = field(default_factory=dict)
    main: str | None = None  # parameter the short form `{name: value}` sets


def _strip_like(method: str) -> Callable[[TransformSpec, str], Rendered]:
    def render(step: TransformSpec, n: str) -> Rendered:
        return Rendered([f"if v.__class__ is str: v = v.{method}()"])

    return render


def _truncate(step: TransformSpec, n: str) -> Rendered:
    return Rendered([f"if v.__class__ is str: v = v[:{int(step.param('length'))}]"])


def _replace(step: TransformSpec, n: str) -> Rendered:
    old, new = step.param("old"), step.param("new")
    return Rendered([f"if v.__class__ is str: v = v.replace({old!r}, {new!r})"])


def _default(step: TransformSpec, n: str) -> Rendered:
    name = f"k_{n}"
    return Rendered([f"if v is None or v == '': v = {name}"], {name: step.param("value")})


def _number(step: TransformSpec, n: str) -> Rendered:
    name = f"t_{n}"
    return Rendered([f"v = {name}(v)"], {name: number_converter(step.param("decimals"), step.param("type"))})


def _date(step: TransformSpec, n: str) -> Rendered:
    fn = timeconv.date_converter(step.param("from_format"), step.param("to_format"))
    return Rendered([f"v = t_{n}(v)"], {f"t_{n}": fn})


def _datetime(step: TransformSpec, n: str) -> Rendered:
    fn = timeconv.datetime_converter(step.param("to"), step.param("assume"), step.param("from"))
    return Rendered([f"v = t_{n}(v)"], {f"t_{n}": fn})


def _phone(step: TransformSpec, n: str) -> Rendered:
    src = step.param("from")
    fn = phone_converter(step.param("region"), src)
    if src:
        return Rendered([f"v = t_{n}(v, _get({src!r}))"], {f"t_{n}": fn}, (src,))
    return Rendered([f"v = t_{n}(v)"], {f"t_{n}": fn})


def number_converter(decimals: int | None, kind: str | None) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueProblem("NOT_NUMBER", "is not a number", value)
        try:
            number = float(value) if isinstance(value, str) else value
        except ValueError:
            raise ValueProblem("NOT_NUMBER", "is not a number", value) from None
        if not math.isfinite(number):
            raise ValueProblem("NOT_NUMBER", "is not a finite number", value)
        if kind == "int":
            return round(number)
        number = float(number)
        return round(number, decimals) if decimals is not None else number

    return convert


TRANSFORMS: dict[str, TransformDef] = {
    d.name: d
    for d in (
        TransformDef("strip", "remove spaces at both ends"),
        TransformDef("lower", "lower-case text"),
        TransformDef("upper", "upper-case text"),
        TransformDef("title", "Title Case Text"),
        TransformDef("truncate", "cut text to a length", {"length": Param(_is_int(1), True)}, "length"),
        TransformDef(
            "replace", "replace text", {"old": Param(_text(True), True), "new": Param(_text(False), True)}
        ),
        TransformDef("default", "value to use when empty", {"value": Param(_anything, True)}, "value"),
        TransformDef(
            "number", "read a number",
            {"decimals": Param(_is_int(0)), "type": Param(_one_of("int", "float"))},
        ),
        TransformDef(
            "date", "read and format a date",
            {"from_format": Param(timeconv.format_problem), "to_format": Param(timeconv.format_problem)},
        ),
        TransformDef(
            "datetime", "convert a datetime between systems",
            {
                "to": Param(_style, True),
                "assume": Param(_tz),
                "from": Param(_style),
            },
            "to",
        ),
        TransformDef("phone", "phone number to E.164",
                     {"region": Param(_region), "from": Param(_field_name)}, "region"),
    )
}  # fmt: skip

_RENDER: dict[str, Callable[[TransformSpec, str], Rendered]] = {
    "strip": _strip_like("strip"), "lower": _strip_like("lower"), "upper": _strip_like("upper"),
    "title": _strip_like("title"), "truncate": _truncate, "replace": _replace, "default": _default,
    "number": _number, "date": _date, "datetime": _datetime, "phone": _phone,
}  # fmt: skip

Issue = tuple[tuple[str | int, ...], str]  # (sub-path relative to the item, message)


def parse_transform(item: Any, source_system: str | None = None) -> tuple[TransformSpec | None, list[Issue]]:
    """Check one transform item; return the step, or None and the issues found."""
    if isinstance(item, str):
        name, params = item, None
    elif isinstance(item, dict) and len(item) == 1:
        name, params = next(iter(item.items()))
        name = str(name)
    else:
        return None, [((), "a transform is a name (strip) or one name with parameters ({truncate: 80})")]
    tdef = TRANSFORMS.get(name)
    if tdef is None:
        hint = get_close_matches(name, sorted(TRANSFORMS), n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else f"; known: {', '.join(sorted(TRANSFORMS))}"
        return None, [((), f"unknown transform {name!r}{extra}")]
    sub: tuple[str | int, ...] = (name,) if isinstance(item, dict) else ()
    if params is None:
        params = {}
    elif not isinstance(params, dict):
        if tdef.main is None:
            return None, [(sub, f"transform {name!r} takes no short form; write {{{name}: {{...}}}}")]
        params = {tdef.main: params}
    issues = _param_issues(tdef, params, sub)
    if name == "phone" and not issues and not params.get("region") and not params.get("from"):
        issues.append((sub, "transform 'phone' needs `region` (e.g. US) or `from` (a country field)"))
    if issues:
        return None, issues
    if name == "datetime" and "from" not in params and source_system in timeconv.styles():
        params = {**params, "from": source_system}
    return TransformSpec(name, tuple(params.items())), []


def _param_issues(tdef: TransformDef, params: dict[str, Any], sub: tuple[str | int, ...]) -> list[Issue]:
    issues: list[Issue] = []
    name, known = tdef.name, sorted(tdef.params)
    for key in params:
        if key not in tdef.params:
            hint = get_close_matches(str(key), known, n=1)
            extra = f"; did you mean {hint[0]!r}?" if hint else ""
            takes = f"takes {', '.join(known)}" if known else "takes no parameters"
            issues.append(((*sub, str(key)), f"unknown parameter {key!r} for {name!r} ({takes}){extra}"))
    for key, param in tdef.params.items():
        if key not in params:
            if param.required:
                issues.append((sub, f"transform {name!r} needs parameter {key!r}"))
            continue
        why = param.check(params[key])
        if why:
            issues.append(((*sub, key), f"{name}.{key} {why}"))
    return issues


def render(step: TransformSpec, n: str) -> Rendered:
    """Python statements applying `step` to the local `v` (`n` makes names unique)."""
    return _RENDER[step.name](step, n)


def extra_reads(step: TransformSpec) -> tuple[str, ...]:
    """Source fields a step reads besides the field's own value."""
    src = step.param("from") if step.name == "phone" else None
    return (src,) if src else ()
