"""Shared fixtures: sandboxes, state stores. Each lives in tests/fixtures/.

The fast tier (`pytest -m "not slow"`) runs the whole contract suite on the in-memory
connector; on the sandboxes and real servers it leaves out the fault tests that wait
on purpose (Retry-After, a write left in flight past the client timeout), and the
Bulk-forced Salesforce suite (the REST suite covers the same connector): `make test`
runs them all.

Under pytest-xdist (`make test` runs `-n 2 --dist loadgroup`) each worker has its own
sandboxes, temp folders and PostgreSQL database; what must be one per machine is kept on
one worker by an `xdist_group`: the real trytond (one builds its cached template, the
others would race on it) and the Airflow API server the plugin and browser tests share.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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

HERE = Path(__file__).parent
GROUPS = {  # folder or file -> the xdist group its tests run in
    HERE / "integration" / "tryton": "tryton",
    HERE / "e2e" / "test_make_demo_tryton.py": "tryton",
    HERE / "e2e" / "plugin": "airflow-server",
    HERE / "e2e" / "browser": "airflow-server",
}


# Tests that import Airflow into the pytest process run last: from then on every Secret any
# test makes is also handed to Airflow's masker (officebridge.secrets), which recompiles its
# pattern for each one; the unit tests after them ran several times slower. They also see only
# the secrets they register themselves (`_own_secrets`): a task hands every secret its process
# knows to Airflow's masker, and a test process knows thousands by then (minutes of regex).
AIRFLOW_IN_PROCESS = {
    HERE / "unit" / "airflow" / "test_parse_cache.py",
    HERE / "unit" / "airflow" / "test_failure.py",
    HERE / "unit" / "sync" / "test_plan_without_systems.py",
    HERE / "unit" / "ui" / "test_conflicts_view.py",
}


@pytest.fixture(autouse=True)
def _own_secrets(request: pytest.FixtureRequest) -> Iterator[None]:
    """For an Airflow-in-process test: the secret registry as a fresh process would have it."""
    if Path(str(request.node.path)) not in AIRFLOW_IN_PROCESS:
        yield
        return
    from officebridge import secrets  # noqa: PLC0415

    before = secrets._known
    secrets._known = set()
    try:
        yield
    finally:
        before |= secrets._known
        secrets._known = before


def group_of(path: Path) -> str | None:
    for place, group in GROUPS.items():
        if path == place or place in path.parents:
            return group
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        group = group_of(Path(str(item.path)))
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
        cls = getattr(item, "cls", None)
        factory = getattr(cls, "harness_factory", None)  # a ConnectorContract class
        if factory is None or factory.manifest.system == "memory":
            continue
        if cls.__name__ in SLOW_CONTRACT_CLASSES or item.name in WAITING_CONTRACT_TESTS:
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: Path(str(item.path)) in AIRFLOW_IN_PROCESS)  # stable: the rest in order
