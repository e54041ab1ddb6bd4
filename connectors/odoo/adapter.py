"""The backend adapter: the only code that touches OdooRPC.

It opens the client lazily, logs in (revealing the password only for that call
and the client's own per-call credentials), and runs `execute_kw` wrapped in
`retry_call` with every failure classified by `errors.classify`. An expired
session is answered by logging in again before the retry; a host that never
accepts a connection becomes `UnreachableError` once the retries are spent.
Each attempt runs under an overall `Deadline` of the connection's timeout (the
socket timeout alone bounds each read, not the call), and every answer is
checked for the shape its method promises before anyone uses it. Messages name
the connection id, so a person knows which connection to fix.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import odoorpc

from connectors.odoo import transport
from connectors.odoo.errors import UnreachableRetry, check_shape, classify, outcome_unknown
from officebridge.deadline import Deadline
from officebridge.errors import (
    ConfigError,
    OfficeBridgeError,
    OutcomeUnknownError,
    RetriableError,
    SessionExpiredError,
    UnreachableError,
)
from officebridge.retry import DEFAULT_POLICY, RetryPolicy, retry_call
from officebridge.secrets import RedactingFilter, Secret

T = TypeVar("T")
log = logging.getLogger(__name__)
# OdooRPC's debug log prints every request, and the object service carries the
# password in its positional args (the client only hides a top-level
# "password" param). Mask registered secrets in those records.
logging.getLogger("odoorpc.rpc.jsonrpclib").addFilter(RedactingFilter())
PROTOCOLS = ("jsonrpc", "jsonrpc+ssl")


@dataclass(frozen=True)
class OdooSettings:
    """Connection settings, validated all at once (see `from_connection`)."""

    host: str
    port: int
    database: str
    login: str
    password: Secret
    protocol: str = "jsonrpc"
    timeout: float = 120.0  # per read and, as an overall deadline, per call
    conn_id: str = "odoo_default"


class OdooAdapter:
    def __init__(self, settings: OdooSettings, policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self.settings = settings
        self.policy = policy
        self._client: Any = None
        self.uid: int | None = None

    @property
    def where(self) -> str:
        s = self.settings
        return f"{s.protocol}://{s.host}:{s.port}/{s.database}"

    @property
    def named(self) -> str:
        return f"connection {self.settings.conn_id!r}"

    def _failure(self, exc: Exception, what: str, idempotent: bool, expired: bool) -> OfficeBridgeError:
        if expired:  # the deadline shut the socket: whatever the client raised, the answer was too slow
            limit = f"{self.settings.timeout:g}s"
            error: OfficeBridgeError = RetriableError(
                f"Odoo {what} ({self.named}): no complete answer within the {limit} deadline"
            )
        else:
            error = classify(exc, f"{what} ({self.named})")
        if not idempotent and (expired or outcome_unknown(exc)):
            return OutcomeUnknownError(f"{error} (not resent: it may have been applied)")
        return error

    def _retry(self, call: Callable[[], T], what: str, *, idempotent: bool = True) -> T:
        def attempt() -> T:
            with Deadline(self.settings.timeout) as deadline:
                try:
                    return call()
                except Exception as exc:
                    error = self._failure(exc, what, idempotent, deadline.expired)
            if isinstance(error, SessionExpiredError):
                log.info("Odoo session expired during %s; logging in again", what)
                self._client = None
            raise error

        try:
            return retry_call(attempt, policy=self.policy, what=f"Odoo {what}")
        except UnreachableRetry as exc:
            raise UnreachableError(f"Odoo at {self.where} ({self.named}) is unreachable: {exc}") from None

    def _connect(self) -> Any:
        s = self.settings
        client = odoorpc.ODOO(
            s.host, protocol=s.protocol, port=s.port, timeout=s.timeout, opener=transport.opener()
        )
        client.login(s.database, s.login, s.password.reveal())
        return client

    def client(self) -> Any:
        """The logged-in client (connecting and logging in on first use)."""
        if self._client is None:
            self._client = self._retry(self._connect, "login")
            self.uid = int(self._client.env.uid)
        return self._client

    def execute_kw(
        self, model: str, method: str, args: list[Any], kwargs: dict[str, Any] | None = None
    ) -> Any:
        what = f"{model}.{method}"

        def call() -> Any:
            if self._client is None:  # after a session expiry: log in again, then retry the call
                self._client = self._connect()
                self.uid = int(self._client.env.uid)
            return check_shape(
                self._client.execute_kw(model, method, args, kwargs or {}), f"{what} ({self.named})", args
            )

        self.client()
        # a create that timed out may have landed: resending it could duplicate records
        return self._retry(call, what, idempotent=method != "create")

    def close(self) -> None:
        self._client = None


def settings_from(connection: Any) -> OdooSettings:
    """OdooSettings from an officebridge Connection, reporting every problem together."""
    problems = []
    extra = dict(connection.extra or {})
    protocol = str(extra.get("protocol") or "jsonrpc")
    if protocol not in PROTOCOLS:
        problems.append(f"extra.protocol must be one of {', '.join(PROTOCOLS)} (got {protocol!r})")
    if not connection.host:
        problems.append("host is missing")
    if not connection.schema:
        problems.append("schema (the Odoo database name) is missing")
    if not connection.login:
        problems.append("login is missing")
    if not connection.password:
        problems.append("password (or API key) is missing")
    try:
        timeout = float(extra.get("timeout") or 120)
    except (TypeError, ValueError):
        problems.append(f"extra.timeout must be a number of seconds (got {extra.get('timeout')!r})")
        timeout = 120.0
    if problems:
        raise ConfigError(f"Odoo connection {connection.conn_id!r}: " + "; ".join(problems))
    return OdooSettings(
        host=str(connection.host),
        port=int(connection.port or (443 if protocol.endswith("ssl") else 8069)),
        database=str(connection.schema),
        login=str(connection.login),
        password=connection.password,
        protocol=protocol,
        timeout=timeout,
        conn_id=str(connection.conn_id),
    )
