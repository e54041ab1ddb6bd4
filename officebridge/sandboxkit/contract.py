"""The sandbox contract: what `officebridge sandbox`, the tests and the demo may ask of any sandbox.

Sandboxes are found through the `officebridge.sandboxes` entry-point group,
so the engine only knows them through this Protocol. `add_fault` speaks the
vocabulary of `officebridge.sandboxkit.vocabulary` (see README.md beside it).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from officebridge.sandboxkit.vocabulary import UNSET, Times


@runtime_checkable
class Sandbox(Protocol):
    """One local emulation of a system's wire protocol, backed by files under `home`."""

    system: ClassVar[str]  # the entry-point name, e.g. "odoo"
    default_port: ClassVar[int]  # `officebridge sandbox up` listens there unless told otherwise
    host: str
    port: int  # 0 until started with port=0; then the port the OS gave

    def __init__(self, home: Path, host: str = "127.0.0.1", port: int = 0) -> None: ...

    @property
    def url(self) -> str: ...

    def start(self) -> None:
        """Serve in a background thread; returns once the socket listens."""

    def stop(self) -> None: ...

    def serve_forever(self) -> None:
        """Serve in the calling thread (the `serve` command line)."""

    def reset(self) -> None:
        """Drop business data; reference data (users, countries, schema) stays."""

    def seed(self, accounts: int = 300, seed: int = 7) -> dict[str, int]:
        """Replace business data by a deterministic demo set; returns counts per object."""

    def connection_value(self) -> str:
        """The AIRFLOW_CONN_* value (JSON form) that points a connector at this sandbox."""

    def add_fault(
        self, kind: str, *, times: Times = UNSET, path: str | None = None, **params: Any
    ) -> None: ...

    def clear_faults(self) -> None: ...

    def stats(self) -> dict[str, Any]:
        """At least `requests`, `by_route`, `by_operation` and `faults` (kind -> times served)."""

    def reset_stats(self) -> None: ...

    def expire_sessions(self) -> None:
        """Expire every session now, as the system's idle timeout would."""
