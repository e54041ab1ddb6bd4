"""Shared fixtures: sandboxes, state stores. Each lives in tests/fixtures/.

The fast tier (`pytest -m "not slow"`) runs the whole contract suite on the in-memory
connector; on the sandboxes and real servers it leaves out the fault tests that wait
on purpose (Retry-After, a write left in flight past the client timeout), and the
Bulk-forced Salesforce suite (the REST suite covers the same connector): `make test`
runs them all.
"""

from __future__ import annotations

import pytest

pytest_plugins = [
    "tests.fixtures.salesforce",
    "tests.fixtures.odoo",
    "tests.fixtures.hubspot",
    "tests.fixtures.zendesk",
    "tests.fixtures.state",
    "tests.fixtures.tryton",
]

WAITING_CONTRACT_TESTS = {
    "test_rate_limit_waits_for_retry_after",  # waits out a 1 s Retry-After
    "test_unknown_outcome_is_reported_not_resent[slow]",  # a write kept past the client timeout
}
SLOW_CONTRACT_CLASSES = {"TestSalesforceBulkContract"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        cls = getattr(item, "cls", None)
        factory = getattr(cls, "harness_factory", None)  # a ConnectorContract class
        if factory is None or factory.manifest.system == "memory":
            continue
        if cls.__name__ in SLOW_CONTRACT_CLASSES or item.name in WAITING_CONTRACT_TESTS:
            item.add_marker(pytest.mark.slow)
