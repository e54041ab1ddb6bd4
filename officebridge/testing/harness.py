"""What a connector author gives the contract suite: a harness for one system.

A harness knows how to start the system (a sandbox, or a real server), make
connections to it (good, wrong, broken, unreachable), create records on it
directly, bypassing the connector, read them back directly, and, when it
can, inject faults. The suite (`officebridge.testing.contract`) asks nothing
else, so a third-party connector gets the same tests as the built-ins by
subclassing `ConnectorHarness`.

A test the system cannot support is skipped only when the harness says so in
`skips` (feature -> reason); a missing ability without a declared reason
fails the test, so nothing is skipped silently. Features: `faults` (all
fault tests), `fault.<kind>`, `op.<kind>` (an operation the manifest
declares but the writable object cannot do), `cursor.ties` (no way to set
change stamps directly).
"""

from __future__ import annotations

import dataclasses
import socket
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from officebridge.connections import Connection
from officebridge.connector import Connector, ConnectorManifest
from officebridge.sandboxkit.contract import Sandbox
from officebridge.secrets import Secret

FAULT_KINDS = ("rate_limit", "server_error", "slow", "timeout", "drop", "expire_sessions", "record_error")


class FaultInjector(Protocol):
    """The sandboxes' fault API (one vocabulary for every sandbox, see `FAULT_KINDS`)."""

    def add_fault(
        self,
        kind: str,
        *,
        times: int = 1,
        path: str | None = None,
        operation: str | None = None,
        **params: Any,
    ) -> None: ...

    def clear_faults(self) -> None: ...

    def stats(self) -> Mapping[str, Any]:
        """{"requests", "by_route", "by_operation", "faults"} since the last `reset_stats`."""

    def reset_stats(self) -> None: ...


@dataclasses.dataclass(frozen=True, slots=True)
class WritableObject:
    """An object the suite may create, change and delete records of.

    `text_field` names records (every create sets it, unique per test);
    `other_field` is a second writable text field (updates, filters);
    `key_field` is an external-id field (upsert, lookup), None if it has none;
    `required` holds any other values a create needs.
    """

    name: str
    text_field: str
    other_field: str
    key_field: str | None = None
    required: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, slots=True)
class BadSettings:
    """A connection with several settings problems, and the names the one ConfigError must mention."""

    connection: Connection
    names: tuple[str, ...]


class ConnectorHarness(ABC):
    """One system under test; subclass it next to your connector (see `officebridge.testing.memory`)."""

    manifest: ConnectorManifest
    writable: WritableObject
    skips: Mapping[str, str] = {}  # feature -> why this system cannot support it
    client_timeout: float = 1.0  # seconds the harness's connections wait for an answer
    client_modules: tuple[str, ...] = ()  # heavy modules importing the manifest must not import
    missing_id: str = "does-not-exist"  # a well-formed id no record has
    unknown_object: str = "NoSuchObjectZz"
    lookup_settle: float = 30.0  # seconds a write may take to show in `lookup` (inconsistent systems)

    # --- the system -------------------------------------------------------------------

    @abstractmethod
    def start(self, workdir: Path) -> None:
        """Start (or connect to) the system once for the test class."""

    @abstractmethod
    def stop(self) -> None: ...

    @abstractmethod
    def reset(self) -> None:
        """Before each test: no faults, zero stats, known data (a real server: at least no faults)."""

    # --- connections ------------------------------------------------------------------

    @abstractmethod
    def base_connection(self) -> Connection:
        """A working connection whose client timeout is `client_timeout`."""

    @abstractmethod
    def connector(self, connection: Connection | None = None) -> Connector:
        """A connector on `connection` (default: `base_connection()`), with a fast retry policy."""

    @abstractmethod
    def bad_settings(self) -> BadSettings: ...

    @abstractmethod
    def secrets(self) -> Sequence[str]:
        """Every secret of `base_connection()` (password, tokens): none may ever be shown."""

    def connection(self, **changes: Any) -> Connection:
        """`base_connection()` with changes; `password` may be a str; `extra` is merged (None removes)."""
        return with_changes(self.base_connection(), **changes)

    def unreachable(self) -> Connection:
        """A connection to a local port nobody listens on (override for hosts that are not local)."""
        return self.connection(host="127.0.0.1", port=free_port())

    # --- direct access to the records ----------------------------------------------------

    @abstractmethod
    def seed(self, object_name: str, rows: Sequence[Mapping[str, Any]]) -> list[str]:
        """Create records directly on the system (not through the connector); their ids, in order."""

    @abstractmethod
    def rows(self, object_name: str, field: str, value: Any) -> list[dict[str, Any]]:
        """Live records whose `field` equals `value`, read directly; each has at least "id"."""

    def set_cursor(self, object_name: str, ids: Sequence[str], moment: datetime) -> None:
        """Set the default cursor field of these records to `moment` (whole seconds are enough).

        The last of the manifest's cursor fields (a creation stamp) must stay as it was.
        """
        raise NotImplementedError("declare skips['cursor.ties'] or implement set_cursor")

    @abstractmethod
    def equals_filter(self, field: str, value: Any) -> Any:
        """A native filter (valid against the manifest's filter_schema) for `field == value`."""

    # --- faults --------------------------------------------------------------------------

    def faults(self) -> FaultInjector | None:
        """The system's fault injector, or None (then declare skips['faults'])."""
        return None

    def operation(self, verb: str, object_name: str) -> str:
        """The `operation` name of one request kind in faults and in `stats()["by_operation"]`.

        Verbs: "login", "read" (a page of `read`), "create" (a create request).
        """
        return f"{object_name}.{verb}" if verb != "login" else "login"


def with_changes(conn: Connection, **changes: Any) -> Connection:
    if isinstance(changes.get("password"), str):
        changes["password"] = Secret(changes["password"])
    if "extra" in changes:
        merged = {**conn.extra, **changes.pop("extra")}
        changes["extra"] = {k: v for k, v in merged.items() if v is not None}
    return dataclasses.replace(conn, **changes)


def free_port() -> int:
    """A local TCP port nobody listens on right now (never a hard-coded one)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


S = TypeVar("S", bound=Sandbox)


class SandboxHarness(ConnectorHarness, Generic[S]):
    """A harness whose system is a sandbox on the kit: the lifecycle every such harness shares.

    `prepare` sets what a contract test needs before the sandbox starts; `after_reset`
    drops what the harness cached (a client whose session a test may have expired).
    """

    sandbox_class: type[S]

    def __init__(self) -> None:
        self.sandbox: S | None = None

    def prepare(self, sandbox: S) -> None:
        """Settings for contract tests, before the sandbox starts (none by default)."""

    def after_reset(self) -> None:
        """Forget what the harness cached about the system (nothing by default)."""

    def start(self, workdir: Path) -> None:
        self.sandbox = self.sandbox_class(workdir)
        self.prepare(self.sandbox)
        self.sandbox.start()

    def stop(self) -> None:
        if self.sandbox is not None:
            self.sandbox.stop()

    def reset(self) -> None:
        sb = self._sb()
        sb.clear_faults()
        sb.reset()
        sb.reset_stats()
        self.after_reset()

    def _sb(self) -> S:
        assert self.sandbox is not None, "start() first"
        return self.sandbox
