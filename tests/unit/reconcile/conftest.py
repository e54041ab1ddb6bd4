"""The in-memory CRM -> ERP pair of the sync tests, reused: reconciliation drives the same syncs."""

from tests.unit.sync.conftest import pair  # noqa: F401 - the fixture, shared
