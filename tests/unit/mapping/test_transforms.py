"""Transforms: parameters are checked at load time; values converted per record, never guessed."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from officebridge.mapping.spec import TransformSpec
from officebridge.mapping.transforms import parse_transform, render
from officebridge.mapping.values import ValueProblem


def run(item: Any, value: Any, *, system: str | None = None, record: dict[str, Any] | None = None) -> Any:
    """Apply one transform exactly as the compiled mapping does (render + exec)."""
    step, issues = parse_transform(item, system)
    assert not issues, issues
    assert step is not None
    done = render(step, "x")
    ns: dict[str, Any] = {"__builtins__": {}, "str": str, **done.bindings}
    body = "\n".join("    " + line for line in done.lines)
    exec(f"def f(v, _get):\n{body}\n    return v", ns)
    return ns["f"](value, (record or {}).get)


def issues(item: Any) -> list[str]:
    return [message for _, message in parse_transform(item)[1]]


@pytest.mark.parametrize(
    ("item", "value", "expected"),
    [
        ("strip", "  a b  ", "a b"),
        ("lower", "AbC", "abc"),
        ("upper", "AbC", "ABC"),
        ("title", "ada lovelace", "Ada Lovelace"),
        ("strip", None, None),
        ("lower", 42, 42),
        ({"truncate": {"length": 3}}, "abcdef", "abc"),
        ({"truncate": 3}, "ab", "ab"),
        ({"replace": {"old": "-", "new": ""}}, "1-2-3", "123"),
        ({"default": {"value": "n/a"}}, "", "n/a"),
        ({"default": "n/a"}, "x", "x"),
        ({"number": {"decimals": 2}}, "3.14159", 3.14),
        ({"number": {"type": "int"}}, "41.6", 42),
        ("number", 7, 7.0),
        ("number", None, None),
        ("date", "2026-01-31", "2026-01-31"),
        ({"date": {"from_format": "%d/%m/%Y"}}, "31/01/2026", "2026-01-31"),
        ({"date": {"to_format": "%d.%m.%Y"}}, "2026-01-31", "31.01.2026"),
    ],
)
def test_value_transforms(item: Any, value: Any, expected: Any) -> None:
    assert run(item, value) == expected


@pytest.mark.parametrize(
    ("item", "value", "code"),
    [
        ("number", "twelve", "NOT_NUMBER"),
        ("number", True, "NOT_NUMBER"),
        ("date", "31/01/2026", "NOT_DATE"),
        ("date", "2026-02-30", "NOT_DATE"),
    ],
)
def test_bad_values_are_record_problems(item: Any, value: Any, code: str) -> None:
    with pytest.raises(ValueProblem) as info:
        run(item, value)
    assert info.value.code == code
    assert info.value.value == value


# --- phone ------------------------------------------------------------------


def test_phone_with_fixed_region_to_e164() -> None:
    assert run({"phone": {"region": "US"}}, "(415) 555-0100") == "+14155550100"
    assert run({"phone": "FR"}, "01 42 68 53 00") == "+33142685300"
    assert run({"phone": {"region": "US"}}, "+44 20 7946 0958") == "+442079460958"


def test_phone_region_from_a_country_field_code_or_name() -> None:
    item = {"phone": {"from": "BillingCountry"}}
    assert run(item, "01 42 68 53 00", record={"BillingCountry": "France"}) == "+33142685300"
    assert run(item, "01 42 68 53 00", record={"BillingCountry": "FR"}) == "+33142685300"
    assert run(item, "020 7946 0958", record={"BillingCountry": "United Kingdom"}) == "+442079460958"
    both = {"phone": {"from": "BillingCountry", "region": "US"}}
    assert run(both, "415 555 0100", record={"BillingCountry": None}) == "+14155550100"


@pytest.mark.parametrize("value", ["12", "not a phone", "+1 555"])
def test_invalid_phone_is_a_record_problem(value: str) -> None:
    with pytest.raises(ValueProblem) as info:
        run({"phone": {"region": "US"}}, value)
    assert info.value.code == "INVALID_PHONE"


def test_phone_without_country_knowledge_fails_instead_of_guessing() -> None:
    with pytest.raises(ValueProblem, match="no country known"):
        run({"phone": {"from": "BillingCountry"}}, "01 42 68 53 00", record={"BillingCountry": "Atlantis"})


# --- datetime: the time-zone rules ------------------------------------------


def test_salesforce_offset_datetime_to_odoo_naive_utc() -> None:
    assert run({"datetime": {"to": "odoo"}}, "2026-01-02T03:04:05.000+0100") == "2026-01-02 02:04:05"


def test_odoo_naive_datetime_is_utc_by_definition() -> None:
    out = run({"datetime": {"to": "salesforce"}}, "2026-07-01 12:00:00", system="odoo")
    assert out == "2026-07-01T12:00:00.000+0000"
    explicit = run({"datetime": {"to": "salesforce", "from": "odoo"}}, "2026-07-01 12:00:00")
    assert explicit == out


def test_naive_datetime_without_assume_is_an_error_not_a_guess() -> None:
    with pytest.raises(ValueProblem) as info:
        run({"datetime": {"to": "odoo"}}, "2026-07-01 12:00:00", system="salesforce")
    assert info.value.code == "NAIVE_DATETIME"
    with pytest.raises(ValueProblem):
        run({"datetime": {"to": "odoo"}}, "2026-07-01 12:00:00")


def test_assume_zone_applies_daylight_saving() -> None:
    summer = run({"datetime": {"to": "odoo", "assume": "Europe/Paris"}}, "2026-07-01 12:00:00")
    winter = run({"datetime": {"to": "odoo", "assume": "Europe/Paris"}}, "2026-01-15 12:00:00")
    assert (summer, winter) == ("2026-07-01 10:00:00", "2026-01-15 11:00:00")


def test_assume_does_not_override_an_explicit_offset() -> None:
    out = run({"datetime": {"to": "iso", "assume": "Europe/Paris"}}, "2026-07-01T12:00:00+00:00")
    assert out == "2026-07-01T12:00:00+00:00"


@pytest.mark.parametrize(
    ("value", "code"),
    [("2026-03-29 02:30:00", "NONEXISTENT_TIME"), ("2026-10-25 02:30:00", "AMBIGUOUS_TIME")],
)
def test_daylight_saving_gaps_and_overlaps_are_errors(value: str, code: str) -> None:
    with pytest.raises(ValueProblem) as info:
        run({"datetime": {"to": "odoo", "assume": "Europe/Paris"}}, value)
    assert info.value.code == code


def test_datetime_short_form_and_milliseconds_for_salesforce() -> None:
    assert run({"datetime": "salesforce"}, "2026-01-02T03:04:05.678+00:00") == "2026-01-02T03:04:05.678+0000"


def test_a_date_is_not_a_datetime() -> None:
    with pytest.raises(ValueProblem, match="date, not a datetime"):
        run({"datetime": {"to": "odoo"}}, date(2026, 1, 2))


# --- parameters are checked at load time ------------------------------------


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("lowr", "unknown transform 'lowr'; did you mean 'lower'?"),
        (
            {"truncate": {"lenght": 3}},
            "unknown parameter 'lenght' for 'truncate' (takes length); did you mean 'length'?",
        ),
        ({"truncate": {}}, "transform 'truncate' needs parameter 'length'"),
        ({"truncate": 0}, "truncate.length must be a whole number >= 1"),
        ("truncate", "transform 'truncate' needs parameter 'length'"),
        ({"phone": {}}, "transform 'phone' needs `region` (e.g. US) or `from` (a country field)"),
        ({"phone": {"region": "ZZ"}}, "phone.region must be a two-letter region code"),
        (
            {"datetime": {"to": "odo"}},
            "(got 'odo'); did you mean 'odoo'?",
        ),
        ({"datetime": {"to": "odoo", "assume": "Paris"}}, "datetime.assume must be an IANA time zone"),
        ({"number": {"type": "decimal"}}, "number.type must be one of int, float"),
        ({"date": {"from_format": "dd/mm/yyyy"}}, "date.from_format must be a date format"),
        ({"replace": {"old": "", "new": "x"}}, "replace.old must be non-empty text"),
        ({"strip": None, "lower": None}, "a transform is a name"),
        ({"lower": {"x": 1}}, "unknown parameter 'x' for 'lower' (takes no parameters)"),
    ],
)
def test_bad_parameters_are_load_errors(item: Any, message: str) -> None:
    """(The list of datetime styles is the installed systems': see test_capabilities.)"""
    assert any(message in m for m in issues(item)), issues(item)


def test_parsed_step_keeps_parameters() -> None:
    step, _ = parse_transform({"truncate": 80})
    assert step == TransformSpec("truncate", (("length", 80),))
