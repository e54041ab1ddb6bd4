"""Every exception in the tree pickles and comes back equal: Celery and multiprocessing need it.

The classes are found by walking `OfficeBridgeError`'s subclasses after importing
every connector's error module, so a new class without realistic arguments
here fails this test instead of failing a worker.
"""

from __future__ import annotations

import importlib
import pickle
from pathlib import Path
from typing import Any

import pytest

from officebridge.errors import OfficeBridgeError, Problem

ROOT = Path(__file__).resolve().parents[3]
for module in sorted(ROOT.glob("connectors/*/errors.py")):
    importlib.import_module(f"connectors.{module.parent.name}.errors")
for name in (
    "officebridge.mapping.checks",
    "officebridge.testing.memory.connector",
    "connectors.tryton.server",
):
    importlib.import_module(name)

PROBLEM = Problem("mappings/a.yaml", 3, 7, "unknown field 'Emial'", "fields.email.copy")
# realistic arguments for classes whose constructor is not (message)
ARGS: dict[str, tuple[tuple[Any, ...], dict[str, Any]]] = {
    "MappingError": (([PROBLEM, PROBLEM],), {}),
    "ExpressionError": (("Name + ", "unexpected end", 7), {}),
    "UnknownConnectorError": (("sap", ["odoo", "salesforce"]), {}),
    "ConnectionNotFoundError": (("odoo_default",), {}),
    "RecordError": (
        ("bad email",),
        {"stage": "map", "code": "BAD_EMAIL", "field": "email", "record_id": "003x"},
    ),
    "OdooRecordError": (("odoo.exceptions.ValidationError", "Invalid email"), {}),
    "TrytonRecordError": (("trytond.model.exceptions.RequiredValidationError", "name is required"), {}),
    "SalesforceRequestError": (
        ("query Account: HTTP 400",),
        {"status": 400, "error_code": "MALFORMED_QUERY"},
    ),
    "HubSpotRequestError": (
        ("HTTP 400",),
        {"status": 400, "category": "VALIDATION_ERROR", "body": {"status": "error", "message": "bad"}},
    ),
    "ZendeskRequestError": (("HTTP 422",), {"status": 422, "code": "RecordInvalid", "details": {"x": [1]}}),
    "UnknownObjectError": (("salesforce", "No_Such__c", "; did you mean 'Account'?"), {}),
}


def every_class() -> list[type[OfficeBridgeError]]:
    seen: list[type[OfficeBridgeError]] = []
    todo: list[type[OfficeBridgeError]] = [OfficeBridgeError]
    while todo:
        cls = todo.pop()
        if cls not in seen:
            seen.append(cls)
            todo += cls.__subclasses__()
    return sorted(seen, key=lambda c: (c.__module__, c.__qualname__))


def make(cls: type[OfficeBridgeError]) -> OfficeBridgeError:
    args, kwargs = ARGS.get(
        cls.__name__, (("Odoo res.partner.create (connection 'odoo_default'): HTTP 503",), {})
    )
    try:
        return cls(*args, **kwargs)
    except TypeError as exc:
        pytest.fail(f"{cls.__module__}.{cls.__qualname__} needs realistic arguments in ARGS: {exc}")


def test_the_walk_finds_the_whole_tree() -> None:
    names = {c.__name__ for c in every_class()}
    assert {"SyncLockedError", "OdooRecordError", "SalesforceRequestError", "TLSVerificationError"} <= names
    assert len(names) >= 30


@pytest.mark.parametrize("cls", every_class(), ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_every_error_pickles_with_its_attributes(cls: type[OfficeBridgeError]) -> None:
    error = make(cls)
    if hasattr(error, "retry_after"):
        error.retry_after = 12.5
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is cls
    assert str(again) == str(error)
    assert again.args == error.args
    assert vars(again) == vars(error)


def test_a_retried_error_keeps_how_often_it_was_tried() -> None:
    from officebridge.errors import RetriableError  # noqa: PLC0415

    error = RetriableError("HTTP 429", retry_after=3.0)
    error.attempts = 6
    again = pickle.loads(pickle.dumps(error))
    assert (again.retry_after, again.attempts) == (3.0, 6)
