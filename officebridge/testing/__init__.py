"""Testing kit for connectors: the generated contract suite, its harness, the memory reference connector.

Import what you need from the submodules; this package itself imports
nothing, so the pytest plugin stays light.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "ConnectorContract": "officebridge.testing.contract",
    "contract_suite": "officebridge.testing.contract",
    "ConnectorHarness": "officebridge.testing.harness",
    "WritableObject": "officebridge.testing.harness",
    "BadSettings": "officebridge.testing.harness",
    "FaultInjector": "officebridge.testing.harness",
}
__all__ = [
    "BadSettings",
    "ConnectorContract",
    "ConnectorHarness",
    "FaultInjector",
    "WritableObject",
    "contract_suite",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(name)
    import importlib  # noqa: PLC0415 - lazy on purpose

    return getattr(importlib.import_module(_EXPORTS[name]), name)
