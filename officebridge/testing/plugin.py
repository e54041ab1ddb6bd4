"""The pytest plugin (entry point `pytest11`): the `connector_harness` fixture of the contract suite.

Light to import: pytest loads it in every run of this environment, so it
imports nothing of officebridge until a contract test asks for a harness.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from officebridge.testing.harness import ConnectorHarness


@pytest.fixture(scope="class")
def _started_harness(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ConnectorHarness]:
    factory = getattr(request.cls, "harness_factory", None)
    if factory is None:
        pytest.fail("a ConnectorContract class must set harness_factory", pytrace=False)
    harness: ConnectorHarness = factory()
    harness.start(tmp_path_factory.mktemp(f"harness-{harness.manifest.system}"))
    try:
        yield harness
    finally:
        harness.stop()


@pytest.fixture
def connector_harness(_started_harness: ConnectorHarness) -> ConnectorHarness:
    """The class's harness, reset (no faults, zero stats, known data) for this test."""
    _started_harness.reset()
    return _started_harness
