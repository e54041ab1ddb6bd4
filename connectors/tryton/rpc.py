"""The backend adapter: the only code that talks to Tryton (JSON-RPC over `requests`).

Why JSON-RPC and not proteus: proteus speaks XML-RPC, which drops the
microseconds of datetimes (our watermarks and keyset paging need them), and its
URL-credential form runs a full password hash on every call (~160 ms). Tryton's
own web client (sao) speaks this JSON-RPC; `requests` is the client library.

It logs in once (`common.db.login` -> user id and session token, the password
revealed only for that call), sends `Authorization: Session ...` afterwards,
appends the user's context (company, language) as the last parameter of every
model call, retries transient faults through `retry_call`, logs in again when
the session expires, and never resends a `create` whose answer was lost.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests

from connectors.tryton.codec import decode_hook, encode
from connectors.tryton.errors import (
    UnreachableRetry,
    classify_error,
    classify_status,
    classify_transport,
    outcome_unknown,
)
from officebridge.errors import (
    AuthenticationError,
    ConfigError,
    OutcomeUnknownError,
    SessionExpiredError,
    UnreachableError,
)
from officebridge.retry import DEFAULT_POLICY, RetryPolicy, retry_call
from officebridge.secrets import Secret

T = TypeVar("T")
log = logging.getLogger(__name__)
PROTOCOLS = ("http", "https")
NOT_IDEMPOTENT = frozenset({"create", "copy", "post", "confirm", "quote", "process"})


@dataclass(frozen=True)
class TrytonSettings:
    """Connection settings, validated all at once (see `settings_from`)."""

    conn_id: str
    host: str
    port: int
    database: str
    login: str
    password: Secret = field(repr=False)
    protocol: str = "https"
    timeout: float = 120.0

    @property
    def url(self) -> str:
        return f"{self.protocol}://{self.host}:{self.port}/{self.database}/rpc/"


class TrytonRPC:
    def __init__(self, settings: TrytonSettings, policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self.settings = settings
        self.policy = policy
        self.http = requests.Session()
        self.http.headers["Content-Type"] = "application/json"
        self.uid: int | None = None
        self.context: dict[str, Any] = {}
        self._next_id = 0

    @property
    def where(self) -> str:
        return f"{self.settings.url} (connection {self.settings.conn_id!r})"

    # -- one request ------------------------------------------------------------

    def _post(self, method: str, params: list[Any], *, login: bool = False) -> Any:
        self._next_id += 1
        body = json.dumps({"id": self._next_id, "method": method, "params": encode(params)})
        response = self.http.post(self.settings.url, data=body, timeout=self.settings.timeout)
        if response.status_code != 200:
            raise classify_status(response, method, login=login)
        try:
            answer = json.loads(response.text, object_hook=decode_hook)
        except ValueError:
            raise classify_status(response, f"{method} (not JSON)", login=login) from None
        if isinstance(answer, dict) and answer.get("error") is not None:
            raise classify_error(answer["error"], method)
        if not isinstance(answer, dict) or "result" not in answer:
            raise classify_status(response, f"{method} (no result)", login=login)
        return answer["result"]

    def _retry(self, call: Callable[[], T], what: str, *, idempotent: bool = True) -> T:
        def attempt() -> T:
            try:
                return call()
            except Exception as exc:
                error = classify_transport(exc, what)
                if not idempotent and outcome_unknown(exc):
                    raise OutcomeUnknownError(f"{error} (not resent: it may have been applied)") from None
                if isinstance(error, SessionExpiredError):
                    log.info("Tryton session expired during %s; logging in again", what)
                    self.uid = None
                raise error from None

        try:
            return retry_call(attempt, policy=self.policy, what=f"Tryton {what}")
        except UnreachableRetry as exc:
            raise UnreachableError(f"Tryton at {self.where} is unreachable: {exc}") from None

    # -- session ----------------------------------------------------------------

    def _login(self) -> None:
        s = self.settings
        self.http.headers.pop("Authorization", None)
        result = self._post("common.db.login", [s.login, {"password": s.password.reveal()}, "en"], login=True)
        if not isinstance(result, list) or len(result) < 2:
            raise classify_error(["LoginException", ["password"]], "login")
        self.uid, token = int(result[0]), str(result[1])
        pair = base64.b64encode(f"{s.login}:{self.uid}:{token}".encode()).decode()
        self.http.headers["Authorization"] = f"Session {pair}"
        preferences = self._post("model.res.user.get_preferences", [True, {}])
        self.context = {k: preferences[k] for k in ("company", "language", "companies", "employee")
                        if isinstance(preferences, dict) and preferences.get(k) is not None}  # fmt: skip

    def ensure_login(self) -> None:
        if self.uid is None:
            try:
                self._retry(self._login, "login")
            except AuthenticationError as exc:
                raise AuthenticationError(f"{exc} on {self.where}") from None

    def call(self, model: str, method: str, args: list[Any], context: dict[str, Any] | None = None) -> Any:
        """`model.<model>.<method>(*args, context)`, logged in, retried, classified."""
        what = f"{model}.{method}"

        def once() -> Any:
            if self.uid is None:  # after a session expiry: log in again, then retry the call
                self._login()
            return self._post(f"model.{what}", [*args, {**self.context, **(context or {})}])

        self.ensure_login()
        return self._retry(once, what, idempotent=method not in NOT_IDEMPOTENT)

    def server(self, method: str, params: list[Any]) -> Any:
        return self._retry(lambda: self._post(method, params), method)

    def close(self) -> None:
        if self.uid is not None:
            try:
                self._post("common.db.logout", [])
            except Exception as exc:  # closing must not fail a run that already finished
                log.debug("Tryton logout failed: %s", type(exc).__name__)
        self.uid = None
        self.http.close()


def settings_from(connection: Any) -> TrytonSettings:
    """TrytonSettings from an officebridge Connection, reporting every problem together."""
    problems = []
    extra = dict(connection.extra or {})
    protocol = str(extra.get("protocol") or "https")
    if protocol not in PROTOCOLS:
        problems.append(f"extra.protocol must be one of {', '.join(PROTOCOLS)} (got {protocol!r})")
    if not connection.host:
        problems.append("host is missing")
    if not connection.schema:
        problems.append("schema (the Tryton database name) is missing")
    if not connection.login:
        problems.append("login is missing")
    if not connection.password:
        problems.append("password is missing")
    try:
        timeout = float(extra.get("timeout") or 120)
    except (TypeError, ValueError):
        problems.append(f"extra.timeout must be a number of seconds (got {extra.get('timeout')!r})")
        timeout = 120.0
    if problems:
        raise ConfigError(f"Tryton connection {connection.conn_id!r}: " + "; ".join(problems))
    return TrytonSettings(
        conn_id=str(connection.conn_id),
        host=str(connection.host),
        port=int(connection.port or (443 if protocol == "https" else 8000)),
        database=str(connection.schema),
        login=str(connection.login),
        password=connection.password,
        protocol=protocol,
        timeout=timeout,
    )
