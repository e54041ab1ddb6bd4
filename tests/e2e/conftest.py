"""Every end-to-end test runs real Airflow, a browser or a whole command: all of them are `slow`.

The fast tier (`pytest -m "not slow"`) is the inner loop; these run in `make test`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.slow)
