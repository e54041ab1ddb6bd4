"""ZendeskSandbox: the Zendesk Support REST API (the part a sync uses) over HTTPS, on the sandbox kit.

The kit (`officebridge.sandboxkit`) owns the server, faults, sessions, stats
and admin routes; this class names requests (`admit`), answers them
(`answer`) and says what Zendesk's 429 looks like (`rate_limited`).
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any, ClassVar

from connectors.zendesk.sandbox import auth, errors, objects
from connectors.zendesk.sandbox.api import Api, Ctx
from connectors.zendesk.sandbox.auth import Agent
from connectors.zendesk.sandbox.errors import ApiError
from connectors.zendesk.sandbox.jobs import Jobs
from connectors.zendesk.sandbox.seed import seed as seed_data
from connectors.zendesk.sandbox.store import Store
from connectors.zendesk.sandbox.writer import Writer
from officebridge.sandboxkit import Answer, Call, Request, SandboxBase
from officebridge.sandboxkit.admin import Route
from officebridge.sandboxkit.tls import ensure_tls, server_context

HOST = "127.0.0.1"  # the name URLs in answers carry when a request has no Host header


class ZendeskSandbox(SandboxBase):
    """A local Zendesk Support API backed by `<home>/zendesk.sqlite`."""

    system: ClassVar[str] = "zendesk"
    default_port: ClassVar[int] = 8444
    scheme: ClassVar[str] = "https"

    def __init__(
        self, home: Path, host: str = "127.0.0.1", port: int = 0, agent: Agent | None = None
    ) -> None:
        super().__init__(home, host, port)
        self.agent = agent or Agent()
        self.ca_file, _, _ = ensure_tls(self.home, "Zendesk")
        self.store = Store(self.home / "zendesk.sqlite")
        self.writer = Writer(self.store, self.faults, f"{host}:{port}")
        self.jobs = Jobs(self.store, self.writer)
        self.incremental_rpm: int | None = None  # Zendesk allows 10; None: not enforced (see README)
        self._incremental_calls: deque[float] = deque()
        self._rpm_lock = threading.Lock()
        self.me = self._ensure_agent()
        self.api = Api(self.store, self.writer, self.jobs, self.me)

    def tls_context(self) -> ssl.SSLContext:
        return server_context(self.home)

    def listen(self) -> None:
        super().listen()
        self.writer.host = f"{self.host}:{self.port}"

    # -- data -----------------------------------------------------------------------------------

    def _ensure_agent(self) -> dict[str, Any]:
        found = self.store.find("users", "email", self.agent.email)
        if found is not None:
            return found
        record = {**objects.DEFAULTS["users"], "id": self.store.new_id("users"), "name": self.agent.name,
                  "email": self.agent.email, "role": "admin", "verified": True}  # fmt: skip
        record["url"] = objects.url(HOST, "users", record["id"])
        return self.store.save("users", record, at=self.store.now() - 365 * 86400)

    def reset(self) -> None:
        self.store.reset()
        self.me = self._ensure_agent()
        self.api.me = self.me

    def seed(self, accounts: int = 300, seed: int = 7) -> dict[str, int]:
        self.reset()
        return seed_data(self.store, f"{self.host}:{self.port}", self.me["id"], accounts=accounts, seed=seed)

    def advance(self, seconds: float) -> None:
        """Move the sandbox clock forward (e.g. past the export's one-minute lag) without waiting."""
        self.store.offset += seconds

    def issue_oauth_token(self) -> str:
        """An OAuth access token for the admin (what `POST /api/v2/oauth/tokens` would create)."""
        return self.sessions.issue()

    def connection_value(self, *, oauth_token: str | None = None) -> str:
        extra: dict[str, Any] = {"ca_file": str(self.ca_file)}
        if oauth_token:
            extra["oauth_token"] = oauth_token
        else:
            extra["token"] = self.agent.api_token
        value = {"conn_type": "zendesk", "host": self.host, "port": self.port, "extra": extra}
        if not oauth_token:
            value["login"] = self.agent.email
        return json.dumps(value)

    def admin_routes(self) -> dict[tuple[str, str], Route]:
        return {
            ("POST", "/_sandbox/clock"): lambda body: self.advance(float(body["advance"])),
            ("POST", "/_sandbox/oauth/tokens"): lambda _: {"token": self.issue_oauth_token()},
        }

    def extra_stats(self) -> dict[str, Any]:
        return {"records": {k: self.store.count(k) for k in ("organizations", "users", "tickets")}}

    # -- protocol -------------------------------------------------------------------------------

    def admit(self, request: Request) -> Call:
        found = self.api.route(request)
        route, operation = (found[0], found[1]) if found else ("unknown", None)
        headers = {"X-Rate-Limit": "700", "X-Rate-Limit-Remaining": "699"}
        uses_session = auth.bearer(request.headers.get("authorization", "")) is not None
        return Call(request.path, route, operation, uses_session=uses_session, headers=headers)

    def answer(self, request: Request, call: Call) -> Answer:
        self.jobs.advance()
        try:
            auth.check(request.headers.get("authorization", ""), self.agent, self.sessions)
            found = self.api.route(request)
            if found is None:
                raise errors.no_endpoint(request.path)
            if call.operation and "incremental" in call.operation and self._over_incremental_limit():
                return Answer(429, errors.RATE_LIMIT_TEXT.encode(), "text/plain; charset=utf-8",
                              {"Retry-After": "60", "X-Rate-Limit-Remaining": "0"})  # fmt: skip
            base = f"https://{request.headers.get('host') or HOST}"
            status, body = found[2](Ctx(request, found[3], base))
        except ApiError as exc:
            return exc.answer
        return Answer(status, b"" if body is None else json.dumps(body).encode())

    def _over_incremental_limit(self) -> bool:
        if self.incremental_rpm is None:
            return False
        with self._rpm_lock:
            now = time.monotonic()
            while self._incremental_calls and self._incremental_calls[0] < now - 60:
                self._incremental_calls.popleft()
            if len(self._incremental_calls) >= self.incremental_rpm:
                return True
            self._incremental_calls.append(now)
            return False

    def rate_limited(self, retry_after: float, call: Call) -> Answer:
        return errors.rate_limited()
