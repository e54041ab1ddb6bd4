"""Property values as HubSpot checks and stores them: every value is a string on the wire.

A write names properties and string values; each is checked against its
property's type, and refused the way HubSpot lists refusals in a
VALIDATION_ERROR ("Property values were not valid: [...]", one entry per
property with `isValid`, `message`, `error`, `name`). Datetimes are stored as
ISO 8601 UTC with milliseconds; a filter may give them as epoch milliseconds.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from connectors.hubspot.sandbox.schema import ObjectType, Prop

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def now_ms() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


def iso(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def to_ms(value: Any) -> int | None:
    """A datetime value (epoch ms, ISO 8601, or a date) as epoch milliseconds; None when it is not one."""
    text = str(value).strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def refusal(name: str, message: str, error: str) -> dict[str, Any]:
    return {"isValid": False, "message": message, "error": error, "name": name}


def check_value(prop: Prop, value: Any) -> tuple[str | None, dict[str, Any] | None]:
    """(the stored string or None to clear, None) or (None, a refusal)."""
    if value is None or value == "":
        return None, None
    text = str(value).lower() if isinstance(value, bool) else str(value)
    problem = _problem(prop, text)
    if problem is not None:
        return None, refusal(prop.name, *problem)
    if prop.type in ("date", "datetime"):
        ms = to_ms(text)
        assert ms is not None
        return (iso(ms)[:10] if prop.type == "date" else iso(ms)), None
    return text, None


def _problem(prop: Prop, text: str) -> tuple[str, str] | None:
    """(message, error code) when `text` is not a valid value of `prop`."""
    if prop.type == "number" and not NUMBER.match(text):
        return f"{text} was not a valid number.", "INVALID_INTEGER"
    if prop.type == "bool" and text not in ("true", "false"):
        return f"{text} was not a valid boolean.", "INVALID_BOOLEAN"
    if prop.type == "enumeration" and text not in prop.options:
        return f"{text} was not one of the allowed options: [{', '.join(prop.options)}]", "INVALID_OPTION"
    if prop.type in ("date", "datetime") and to_ms(text) is None:
        return f"{text} is not a valid date", "INVALID_DATE"
    if prop.name == "email" and not EMAIL.match(text):
        return f"Email address {text} is invalid", "INVALID_EMAIL"
    return None


def check_properties(
    obj: ObjectType, given: dict[str, Any], *, system: bool = False
) -> tuple[dict[str, str | None], list[dict[str, Any]]]:
    """Checked values and the refusals; `system` writes (seeding) may set read-only values."""
    clean: dict[str, str | None] = {}
    refused: list[dict[str, Any]] = []
    for name, value in given.items():
        prop = obj.props.get(name)
        if prop is None:
            refused.append(refusal(name, f'Property "{name}" does not exist', "PROPERTY_DOESNT_EXIST"))
            continue
        if prop.readonly and not system:
            refused.append(
                refusal(
                    name, f'"{name}" is a read only property; its value cannot be set.', "READ_ONLY_VALUE"
                )
            )
            continue
        stored, problem = check_value(prop, value)
        if problem is not None:
            refused.append(problem)
        else:
            clean[name] = stored
    return clean, refused


def comparable(prop: Prop | None, value: Any) -> Any:
    """A value in the form filters and sorts compare: numbers and stamps as numbers, text folded."""
    if value is None:
        return None
    if prop is not None and prop.type in ("number",):
        try:
            return float(value)
        except ValueError:
            return None
    if prop is not None and prop.type in ("date", "datetime"):
        return to_ms(value)
    return str(value).casefold()
