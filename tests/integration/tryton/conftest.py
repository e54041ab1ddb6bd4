"""Every test here that needs the real trytond is `slow`: the fast tier starts no server.

The session's trytond (`tryton_server`) takes a second or two from the cached template,
but a minute to build that template on a fresh machine; the contract suite's harness
starts its own. Tests that need neither (an unreachable server) stay in the fast tier.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent
NEEDS_SERVER = {"tryton_server", "connector_harness"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).parents and NEEDS_SERVER & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
