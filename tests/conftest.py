"""Shared fixtures: sandboxes, state stores. Each lives in tests/fixtures/."""

pytest_plugins = [
    "tests.fixtures.salesforce",
    "tests.fixtures.odoo",
    "tests.fixtures.hubspot",
    "tests.fixtures.zendesk",
    "tests.fixtures.state",
    "tests.fixtures.tryton",
]
