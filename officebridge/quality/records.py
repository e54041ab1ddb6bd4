"""Record checks: each mapped record against the mapping's JSON Schema, before it is written.

Most records are valid, so the common path must cost next to nothing: the
schema is compiled once per run to plain Python by fastjsonschema (a few
microseconds per record). Only a record that fails is looked at again with
jsonschema's Draft202012Validator, which lists every violation with its path,
rule and value; `best_match` picks the one a person should read first. The
message names the field, the rule and the offending value, with the value of a
`sensitive` field masked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import fastjsonschema
import jsonschema
import referencing
from jsonschema.exceptions import ValidationError, best_match

from officebridge.errors import ConfigError
from officebridge.secrets import MASK


class _NoRemote(dict[str, Any]):
    """fastjsonschema's handlers, for every URI scheme: a `$ref` is never fetched (files nor network)."""

    def __contains__(self, scheme: object) -> bool:
        return True

    def __getitem__(self, scheme: str) -> Any:
        def refuse(uri: str) -> Any:
            raise fastjsonschema.JsonSchemaDefinitionException(
                f"$ref {uri!r} leaves the schema; only references inside it (#/...) are allowed"
            )

        return refuse


MAX_SHOWN = 3  # violations named in one message (the count of the rest follows)
_VALUE_WIDTH = 80


@dataclass(frozen=True, slots=True)
class Violation:
    """Why one record failed its schema: the first violation to read, and how many there are."""

    field: str | None
    rule: str
    message: str
    count: int


def _shown(value: Any, masked: bool) -> str:
    if masked and value not in (None, ""):
        return MASK
    text = repr(value)
    return text if len(text) <= _VALUE_WIDTH else text[: _VALUE_WIDTH - 3] + "..."


def _field_of(err: ValidationError) -> str | None:
    path = list(err.absolute_path)
    if path:
        return ".".join(str(p) for p in path)
    if err.validator == "required":
        missing = err.message.split("'")
        return missing[1] if len(missing) > 2 else None
    return None


def _sentence(err: ValidationError, sensitive: frozenset[str]) -> str:
    field = _field_of(err)
    top = str(err.absolute_path[0]) if err.absolute_path else field
    masked = top in sensitive
    if err.validator == "required":
        return f"field {field!r} is required (rule required) but missing"
    where = f"field {field!r}" if field else "the record"
    rule_value = err.validator_value
    if masked and err.validator in ("enum", "const"):
        rule_value = "(masked)"
    if isinstance(rule_value, dict | list) and len(repr(rule_value)) > _VALUE_WIDTH:
        rule_value = "..."
    return f"{where}: value {_shown(err.instance, masked)} breaks rule {err.validator}={rule_value!r}"


class RecordValidator:
    """Validates mapped records against one JSON Schema 2020-12."""

    def __init__(
        self, schema: dict[str, Any], *, sensitive: Iterable[str] = (), source: str = "record_schema"
    ):
        self.sensitive = frozenset(sensitive)
        try:
            self.fast = fastjsonschema.compile(schema, handlers=_NoRemote())
        except fastjsonschema.JsonSchemaDefinitionException as exc:
            raise ConfigError(f"{source}: cannot compile the schema: {exc}") from None
        self.full = jsonschema.Draft202012Validator(
            schema,
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
            registry=referencing.Registry(),  # no retrieval: an unknown $ref stays unresolved, never fetched
        )

    def is_valid(self, record: dict[str, Any]) -> bool:
        try:
            self.fast(record)
        except fastjsonschema.JsonSchemaValueException:
            return False
        return True

    def check(self, record: dict[str, Any]) -> Violation | None:
        """None when valid; else the violation to show (only failing records pay for jsonschema)."""
        try:
            self.fast(record)
            return None
        except fastjsonschema.JsonSchemaValueException as fast_error:
            return self.explain(record, fast_error)

    def explain(self, record: dict[str, Any], fast_error: Exception | None = None) -> Violation:
        errors = list(self.full.iter_errors(record))
        if not errors:  # the compiled validator is stricter on a format (e.g. email): say what it said
            return self._from_fast(fast_error)
        first = best_match(errors)
        assert first is not None
        rest = [e for e in errors if e is not first]
        parts = [_sentence(first, self.sensitive)] + [
            _sentence(e, self.sensitive) for e in rest[: MAX_SHOWN - 1]
        ]
        more = len(errors) - len(parts)
        message = "; ".join(parts) + (f"; and {more} more" if more > 0 else "")
        return Violation(_field_of(first), str(first.validator), message, len(errors))

    def _from_fast(self, error: Exception | None) -> Violation:
        if not isinstance(error, fastjsonschema.JsonSchemaValueException):
            return Violation(None, "schema", "the record does not satisfy the record schema", 1)
        name = (error.name or "data").removeprefix("data").lstrip(".") or None
        top = name.split(".")[0].split("[")[0] if name else None
        masked = top in self.sensitive
        where = f"field {name!r}" if name else "the record"
        message = (
            f"{where}: value {_shown(error.value, masked)} breaks rule {error.rule}={error.rule_definition!r}"
        )
        return Violation(name, str(error.rule or "schema"), message, 1)
