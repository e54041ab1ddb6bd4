"""Phone numbers to E.164 with `phonenumbers`, given a region or a country field.

A number written without its country code needs a region to be read. The
region is fixed in the mapping (`region: US`) or taken per record from a
source field holding the country (`from: BillingCountry`), given either as an
ISO code (US, FR) or an English country name ("United States", "France"),
the names coming from phonenumbers' own locale data.

phonenumbers is imported on first use: its metadata costs most of a second to
import, and loading mappings (as Airflow does when it parses DAG files) must
stay cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from officebridge.mapping.values import ValueProblem

_ALIASES = {
    "USA": "US", "UNITED STATES OF AMERICA": "US", "U.S.": "US", "U.S.A.": "US",
    "UK": "GB", "GREAT BRITAIN": "GB", "ENGLAND": "GB", "SCOTLAND": "GB", "WALES": "GB",
}  # fmt: skip


def is_region(code: Any) -> bool:
    import phonenumbers  # noqa: PLC0415 - lazy, see module docstring

    return isinstance(code, str) and code.upper() in phonenumbers.SUPPORTED_REGIONS


@cache
def _names() -> dict[str, str]:
    from phonenumbers.geodata.locale import LOCALE_DATA  # noqa: PLC0415 - lazy, see module docstring

    table = dict(_ALIASES)
    for region, names in LOCALE_DATA.items():
        english = names.get("en", "")
        if english.startswith("*"):
            english = names.get(english[1:], "")
        for name in (english, names.get("aa", "")):
            if name and not name.startswith("*"):
                table.setdefault(name.upper(), region)
    return table


def region_of(country: Any) -> str | None:
    """ISO region code for a country code or English name, else None."""
    import phonenumbers  # noqa: PLC0415 - lazy, see module docstring

    if not isinstance(country, str) or not country.strip():
        return None
    text = country.strip().upper()
    if text in phonenumbers.SUPPORTED_REGIONS:
        return text
    return _names().get(text)


def phone_converter(region: str | None, from_field: str | None) -> Callable[..., Any]:
    """Return fn(value, country=None) -> E.164 text; invalid numbers are ValueProblems."""
    import phonenumbers  # noqa: PLC0415 - lazy, see module docstring

    fixed = region.upper() if region else None

    def convert(value: Any, country: Any = None) -> Any:
        if value is None or value == "":
            return None
        if not isinstance(value, str | int):
            raise ValueProblem("INVALID_PHONE", "is not a phone number", value)
        where = (region_of(country) if from_field else None) or fixed
        try:
            number = phonenumbers.parse(str(value), where)
        except phonenumbers.NumberParseException:
            hint = "" if where or str(value).lstrip().startswith("+") else " (no country known for it)"
            raise ValueProblem("INVALID_PHONE", f"is not a valid phone number{hint}", value) from None
        if not phonenumbers.is_valid_number(number):
            raise ValueProblem("INVALID_PHONE", "is not a valid phone number", value)
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    return convert
