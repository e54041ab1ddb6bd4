"""The functions a mapping expression may call, and the guards behind operators.

This table is the whole vocabulary of expressions: an expression can call
nothing else. The functions are forgiving about empty values because source
data is full of them: string and number functions given None return None,
`len(None)` is 0, `concat` skips None, and the tests `startswith`, `endswith`
and `contains` are false for None. The `safe_*` guards replace `**`, `*` and
`%` so an expression cannot build a gigantic number or string, nor use
printf-style formatting.

Size is measured as `weight`: the number of elements a value holds when spelled
out, nested lists counted in full (`[[1] * 1000] * 1000` weighs a million, even
though it shares one inner list). Every list, tuple, text and repetition an
expression builds is kept under MAX_SEQUENCE, so each step of an expression
(str(), ==, max(), concat()) costs at most that much time and memory per record.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

MAX_SEQUENCE = 100_000  # longest string or list an operator or function may build
MAX_INT_BITS = 4_096  # biggest integer `**` may build
MAX_ROUND_DIGITS = 400  # round(x, n): beyond this, an int argument makes Python compute 10**n


class ExpressionValueError(ValueError):
    """An expression was evaluated on values it cannot handle (becomes a record error)."""


def weight(value: Any, _seen: dict[int, int] | None = None) -> int:
    """Elements of a value spelled out (text: its length), counted only until past MAX_SEQUENCE.

    A shared inner list counts in full wherever it appears; its weight is computed once.
    """
    if isinstance(value, str | bytes):
        return max(1, builtins.len(value))
    if not isinstance(value, list | tuple):
        return 1
    seen = {} if _seen is None else _seen
    key = builtins.id(value)
    if key not in seen:
        seen[key] = 0  # a list holding itself (impossible here) would count as empty
        total = 1
        for item in value:
            total += weight(item, seen)
            if total > MAX_SEQUENCE:
                break  # enough to refuse; no need to count the rest
        seen[key] = total
    return seen[key]


def _bounded(value: Any, what: str) -> Any:
    if isinstance(value, list | tuple | str) and weight(value) > MAX_SEQUENCE:
        raise ExpressionValueError(f"{what} would hold more than {MAX_SEQUENCE} elements")
    return value


def _none_passes(fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(value: Any, *args: Any) -> Any:
        if value is None:
            return None
        return fn(value, *args)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ExpressionValueError(f"{what}() expects text, got {type(value).__name__} {value!r}")
    return value


@_none_passes
def lower(value: Any) -> str:
    return _text(value, "lower").lower()


@_none_passes
def upper(value: Any) -> str:
    return _text(value, "upper").upper()


@_none_passes
def title(value: Any) -> str:
    return _text(value, "title").title()


@_none_passes
def strip(value: Any) -> str:
    return _text(value, "strip").strip()


def length(value: Any) -> int:
    return 0 if value is None else builtins.len(value)


def concat(*parts: Any) -> str:
    try:  # the usual case, all texts: measured (exactly the result's length), then joined
        if builtins.sum(builtins.map(builtins.len, parts)) <= MAX_SEQUENCE:
            return "".join(parts)
    except TypeError:  # a None, a number or a list among them: the general way below
        pass
    if builtins.sum(weight(p) for p in parts) > MAX_SEQUENCE:
        raise ExpressionValueError("concat() result is too long")
    out = "".join(builtins.str(p) for p in parts if p is not None)
    if builtins.len(out) > MAX_SEQUENCE:
        raise ExpressionValueError("concat() result is too long")
    return out


def coalesce(*values: Any) -> Any:
    """The first value that is neither None nor empty text."""
    for v in values:
        if v is not None and v != "":
            return v
    return None


def startswith(value: Any, prefix: Any) -> bool:
    return isinstance(value, str) and value.startswith(_text(prefix, "startswith"))


def endswith(value: Any, suffix: Any) -> bool:
    return isinstance(value, str) and value.endswith(_text(suffix, "endswith"))


def contains(value: Any, part: Any) -> bool:
    if value is None:
        return False
    return part in value


@_none_passes
def replace(value: Any, old: Any, new: Any) -> str:
    text, old, new = _text(value, "replace"), _text(old, "replace"), _text(new, "replace")
    if old == "":
        raise ExpressionValueError("replace() needs a non-empty text to replace")
    grown = builtins.len(text) + text.count(old) * (builtins.len(new) - builtins.len(old))
    if grown > MAX_SEQUENCE:
        raise ExpressionValueError("replace() result is too long")
    return text.replace(old, new)


def round_(value: Any, digits: Any = 0) -> Any:
    if value is None:  # as _none_passes, inline: round() is in many per-record expressions
        return None
    if digits.__class__ is not int and (isinstance(digits, bool) or not isinstance(digits, int)):
        raise ExpressionValueError(f"round() digits must be a whole number, not {digits!r}")
    if builtins.abs(digits) > MAX_ROUND_DIGITS:
        raise ExpressionValueError(
            f"round() digits must be between -{MAX_ROUND_DIGITS} and {MAX_ROUND_DIGITS}"
        )
    return builtins.round(value, digits)


@_none_passes
def int_(value: Any) -> int:
    if isinstance(value, str):
        value = value.strip()
        if builtins.len(value) > 100:
            raise ExpressionValueError("int() text is too long")
        try:
            return builtins.int(value)
        except ValueError:
            return builtins.int(builtins.float(value))
    return builtins.int(value)


@_none_passes
def float_(value: Any) -> float:
    return builtins.float(value)


@_none_passes
def str_(value: Any) -> str:
    _bounded(value, "str()")
    return builtins.str(value)


@_none_passes
def abs_(value: Any) -> Any:
    return builtins.abs(value)


def _extreme(pick: Callable[..., Any], values: tuple[Any, ...]) -> Any:
    if builtins.len(values) == 1 and isinstance(values[0], list | tuple):
        values = tuple(values[0])
    present = [v for v in values if v is not None]
    return pick(present) if present else None


def min_(*values: Any) -> Any:
    return _extreme(builtins.min, values)


def max_(*values: Any) -> Any:
    return _extreme(builtins.max, values)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "lower": lower,
    "upper": upper,
    "title": title,
    "strip": strip,
    "len": length,
    "concat": concat,
    "coalesce": coalesce,
    "startswith": startswith,
    "endswith": endswith,
    "contains": contains,
    "replace": replace,
    "round": round_,
    "int": int_,
    "float": float_,
    "str": str_,
    "abs": abs_,
    "min": min_,
    "max": max_,
}

# how many arguments each function takes: (fewest, most); None = no upper bound
ARITY: dict[str, tuple[int, int | None]] = {
    "lower": (1, 1), "upper": (1, 1), "title": (1, 1), "strip": (1, 1), "len": (1, 1),
    "concat": (1, None), "coalesce": (1, None), "startswith": (2, 2), "endswith": (2, 2),
    "contains": (2, 2), "replace": (3, 3), "round": (1, 2), "int": (1, 1), "float": (1, 1),
    "str": (1, 1), "abs": (1, 1), "min": (1, None), "max": (1, None),
}  # fmt: skip


def _sized(value: Any) -> bool:
    return isinstance(value, str | list | tuple)


def _body(value: Any) -> int:
    """The weight a repetition multiplies: a text's length, a list's elements (not its own 1)."""
    return builtins.len(value) if isinstance(value, str) else weight(value) - 1


def safe_mul(a: Any, b: Any) -> Any:
    if (_sized(a) and isinstance(b, int) and _body(a) * b > MAX_SEQUENCE) or (
        _sized(b) and isinstance(a, int) and _body(b) * a > MAX_SEQUENCE
    ):
        raise ExpressionValueError("repetition result is too long")
    return a * b


def safe_add(a: Any, b: Any) -> Any:
    if _sized(a) and _sized(b) and weight(a) + weight(b) > MAX_SEQUENCE:
        raise ExpressionValueError("+ result is too long")
    return a + b


def safe_list(*items: Any) -> list[Any]:
    return _bounded(list(items), "a list")  # type: ignore[no-any-return]


def safe_tuple(*items: Any) -> tuple[Any, ...]:
    return _bounded(tuple(items), "a tuple")  # type: ignore[no-any-return]


def safe_pow(base: Any, exp: Any) -> Any:
    if isinstance(base, int) and isinstance(exp, int) and builtins.abs(base) > 1:
        if exp > MAX_INT_BITS or base.bit_length() * exp > MAX_INT_BITS:
            raise ExpressionValueError(f"{base} ** {exp} is too large")
    if isinstance(exp, float | int) and builtins.abs(exp) > 10_000:
        raise ExpressionValueError(f"exponent {exp} is too large")
    return base**exp


def safe_mod(a: Any, b: Any) -> Any:
    if isinstance(a, str):
        raise ExpressionValueError("'%' is for numbers only; use concat() to build text")
    return a % b


GUARDS: dict[str, Callable[..., Any]] = {
    "_mul": safe_mul, "_pow": safe_pow, "_mod": safe_mod, "_add": safe_add, "_list": safe_list,
    "_tuple": safe_tuple,
}  # fmt: skip
