"""HubSpotSandbox: the CRM v3 API over HTTPS on the shared sandbox kit, backed by `<home>/hubspot.sqlite`.

The kit owns the socket, faults, sessions, stats and admin routes; this class
adds HubSpot's side: the private-app token (Bearer) and its 401 bodies, the
rate limits and their headers, the search index lag, and the routes in
`api.py`. It serves HTTPS with a CA of its own (the Salesforce sandbox's TLS
material maker), and hubspot-api-client verifies against that CA through its
`ssl_ca_cert` setting, reaching the sandbox through its `host` setting.
"""

from __future__ import annotations

import json
import secrets
import ssl
from pathlib import Path
from typing import Any, ClassVar

from connectors.hubspot.sandbox import errors
from connectors.hubspot.sandbox.api import CrmApi, route
from connectors.hubspot.sandbox.limits import LimitConfig, Limiter
from connectors.hubspot.sandbox.schema import ObjectType, object_type
from connectors.hubspot.sandbox.search import DEFAULT_CEILING
from connectors.hubspot.sandbox.seed import seed as seed_data
from connectors.hubspot.sandbox.store import Row, Store
from connectors.hubspot.sandbox.values import check_properties, iso, now_ms
from connectors.hubspot.sandbox.writes import Writer
from officebridge.sandboxkit import Answer, Call, Request, SandboxBase, Sessions
from officebridge.sandboxkit.tls import ensure_tls, server_context

DEFAULT_LAG = 2.0  # seconds before a write shows in search (HubSpot: "a few seconds")


def _token(home: Path) -> str:
    """The portal's private-app token: made once per home, so a connection value survives restarts."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / "private-app-token"
    if not path.exists():
        path.write_text(
            f"pat-na1-{secrets.token_hex(4)}-{secrets.token_hex(2)}-{secrets.token_hex(2)}-"
            f"{secrets.token_hex(2)}-{secrets.token_hex(6)}"
        )
        path.chmod(0o600)
    return path.read_text().strip()


class HubSpotSandbox(SandboxBase):
    system: ClassVar[str] = "hubspot"
    default_port: ClassVar[int] = 8445
    scheme: ClassVar[str] = "https"

    def __init__(self, home: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.token = _token(Path(home))
        super().__init__(home, host, port)
        self.sessions.issue()
        self.ca_file, _, _ = ensure_tls(self.home, "HubSpot")
        self.store = Store(self.home / "hubspot.sqlite")
        self.limiter = Limiter()
        self.writer = Writer(self.store, self._refusal)
        self.api = CrmApi(self.store, self.writer, DEFAULT_LAG, DEFAULT_CEILING)

    # -- settings tests change ------------------------------------------------------------------
    @property
    def search_lag(self) -> float:
        return self.api.lag

    @search_lag.setter
    def search_lag(self, seconds: float) -> None:
        self.api.lag = seconds

    @property
    def search_ceiling(self) -> int:
        return self.api.ceiling

    @search_ceiling.setter
    def search_ceiling(self, results: int) -> None:
        self.api.ceiling = results

    def set_limits(self, config: LimitConfig) -> None:
        self.limiter.configure(config)

    def restore_token(self) -> None:
        """Make the portal's token valid again after `expire_sessions` (as re-installing the app would)."""
        self.sessions.issue()

    # -- kit hooks ----------------------------------------------------------------------------------
    def make_sessions(self) -> Sessions:
        return Sessions(lambda: self.token)

    def tls_context(self) -> ssl.SSLContext | None:
        return server_context(self.home)

    def admit(self, request: Request) -> Call | Answer:
        found = route(request)
        bearer = request.headers.get("authorization", "").startswith("Bearer ")
        if found is None:
            return Call(request.path, f"{request.method} (unknown)", None, bearer)
        return Call(request.path, found.label, found.operation, bearer)

    def answer(self, request: Request, call: Call) -> Answer:
        found = route(request)
        if found is None:
            return errors.error(404, "OBJECT_NOT_FOUND", f"No route for {request.method} {request.path}")
        header = request.headers.get("authorization", "")
        token = header[7:] if header.startswith("Bearer ") else None
        if not self.sessions.live(token):
            return errors.unauthorized(self.sessions.expired(token))
        verdict = self.limiter.take(search=found.kind == "search")
        if verdict.policy is not None:
            headers = {**verdict.headers, "Retry-After": str(max(1, round(verdict.retry_after)))}
            return errors.rate_limited(verdict.policy, headers)
        answer = self.api.handle(request, found)
        return Answer(answer.status, answer.body, answer.content_type, {**verdict.headers, **answer.headers})

    def rate_limited(self, retry_after: float, call: Call) -> Answer:
        return errors.rate_limited("SECONDLY", {})

    def _refusal(self, obj: ObjectType, record: dict[str, Any]) -> dict[str, Any] | None:
        found = self.faults.refusal(obj.name, record)
        if found is None:
            return None
        message = found.message or f"{found.value} was not a valid value for {found.field}."
        return {
            "isValid": False,
            "message": message,
            "error": found.code or "INVALID_VALUE",
            "name": found.field,
        }

    # -- data ---------------------------------------------------------------------------------------
    def reset(self) -> None:
        self.store.reset()

    def seed(self, accounts: int = 300, seed: int = 7) -> dict[str, int]:
        """`accounts` companies, 1-4 contacts each (about one in seven unsubscribed), one deal each."""
        self.store.reset()
        return seed_data(self.store, companies=accounts, seed=seed)

    def insert(
        self, object_name: str, records: list[dict[str, Any]], *, stamp: int | None = None
    ) -> list[str]:
        """Write records straight into the store (read-only values allowed), all sharing `stamp` (ms).

        For tests that need more records, or stranger ties, than the demo set has.
        """
        obj = object_type(object_name)
        if obj is None:
            raise ValueError(f"unknown object {object_name!r}")
        when = now_ms() if stamp is None else stamp
        ids = self.store.next_ids(len(records))
        with self.store.transaction() as db:
            for new_id, given in zip(ids, records, strict=True):
                props, refused = check_properties(obj, given, system=True)
                if refused:
                    raise ValueError(f"invalid record {given!r}: {refused}")
                full: dict[str, str | None] = {k: v for k, v in props.items() if v is not None}
                full.update(hs_object_id=str(new_id), createdate=iso(when), **{obj.modified: iso(when)})
                self.store.put(db, Row(obj.name, new_id, full, when, when, False, None), stamp=when)
        return [str(i) for i in ids]

    def touch(self, object_name: str, ids: list[str], at_ms: int) -> None:
        """Set the modification stamp of records explicitly (e.g. to make them share one)."""
        obj = object_type(object_name)
        assert obj is not None
        rows = self.store.get(obj.name, [int(i) for i in ids])
        with self.store.transaction() as db:
            for row in rows.values():
                row.props[obj.modified] = iso(at_ms)
                row.updated_ms = at_ms
                self.store.put(db, row)

    def change(
        self, object_name: str, record_id: str, props: dict[str, str], *, at_ms: int | None = None
    ) -> None:
        """Change a record as HubSpot itself does (read-only values allowed), moving its stamp.

        `hs_email_optout` is set by subscription changes, never through the objects API,
        so an unsubscribe or a re-subscribe in a test goes through here.
        """
        obj = object_type(object_name)
        assert obj is not None
        when = now_ms() if at_ms is None else at_ms
        checked, refused = check_properties(obj, props, system=True)
        if refused:
            raise ValueError(f"invalid change {props!r}: {refused}")
        row = self.store.get(obj.name, [int(record_id)])[int(record_id)]
        with self.store.transaction() as db:
            row.props.update(checked)
            row.props[obj.modified] = iso(when)
            row.updated_ms = when
            self.store.put(db, row)

    def live(self, object_name: str) -> list[tuple[str, dict[str, Any]]]:
        """Every live record (id, properties), read straight from the primary store."""
        obj = object_type(object_name)
        assert obj is not None
        return [(str(r.id), dict(r.props)) for r in self.store.page(obj.name, 0, 10**9, archived=False)]

    def record(self, object_name: str, record_id: str, *, archived: bool = False) -> dict[str, Any] | None:
        """What the primary store holds for one record (properties), or None."""
        obj = object_type(object_name)
        assert obj is not None
        rows = self.store.get(obj.name, [int(record_id)], archived=archived)
        row = rows.get(int(record_id))
        return None if row is None else dict(row.props)

    def count(self, object_name: str, *, archived: bool = False) -> int:
        obj = object_type(object_name)
        assert obj is not None
        return self.store.count(obj.name, archived=archived)

    def associations(self, from_type: str, from_id: str, to_type: str) -> list[tuple[str, int]]:
        return [(str(i), t) for i, t in self.store.associations(from_type, int(from_id), to_type)]

    def connection_value(self) -> str:
        return json.dumps(
            {
                "conn_type": "hubspot",
                "host": self.url,
                "password": self.token,
                "extra": {"ca_file": str(self.ca_file)},
            }
        )

    def extra_stats(self) -> dict[str, Any]:
        return {"search_lag": self.api.lag}
