"""The Zendesk adapter: the only code in officebridge that calls zenpy (2.0.57, unmodified).

zenpy is built over our `VerifyingSession` (TLS trust and timeouts are ours),
with `ratelimit_budget` so its own Retry-After loop cannot block a run for
ever. Every call goes through `_call`, which classifies failures in one place
(`errors.py`) and retries the transient ones with `retry_call`. Reads are the
incremental exports (`reading.py`), writes the bulk jobs (`writing.py`), polled
through `job_statuses/{id}`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar, TypeVar

from zenpy import Zenpy

from connectors.zendesk import reading, summaries, writing
from connectors.zendesk.errors import CallContext, ConnectFailedError, classify
from connectors.zendesk.manifest import MANIFEST
from connectors.zendesk.schema import object_info
from connectors.zendesk.session import VerifyingSession
from connectors.zendesk.settings import ZendeskSettings, settings_from_connection
from officebridge.connections import Connection
from officebridge.connector import (
    ConnectorManifest,
    ObjectInfo,
    Page,
    ReadRequest,
    SourceRecord,
    WriteOp,
    WriteResult,
)
from officebridge.errors import ConfigError, OfficeBridgeError, OutcomeUnknownError, UnreachableError
from officebridge.retry import DEFAULT_POLICY, RetryPolicy, retry_call

T = TypeVar("T")
log = logging.getLogger(__name__)
KINDS = ("organizations", "users", "tickets", summaries.OBJECT)
SEARCH_TYPE = {"organizations": "organization", "users": "user", "tickets": "ticket"}
SHOW_MANY = 100


class ZendeskConnector:
    """Connector for Zendesk Support over its REST API."""

    manifest: ClassVar[ConnectorManifest] = MANIFEST

    def __init__(self, connection: Connection, *, retry_policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self.settings: ZendeskSettings = settings_from_connection(connection)
        self.retry_policy = retry_policy
        self.job_poll = 0.1  # first wait between job polls, doubled up to 2 s
        self._session = VerifyingSession(self.settings.ca_file or True, self.settings.timeout)
        self._client: Zenpy | None = None

    # --- plumbing ---------------------------------------------------------------------------

    def _zenpy(self) -> Zenpy:
        if self._client is None:
            s = self.settings
            credential: dict[str, Any] = (
                {"email": s.email, "token": s.token.reveal()} if s.token
                else {"oauth_token": s.oauth_token.reveal()} if s.oauth_token
                else {"email": s.email, "password": s.password.reveal()}
            )  # fmt: skip
            self._client = Zenpy(
                subdomain=s.subdomain, domain=s.domain, session=self._session, timeout=s.timeout,
                ratelimit_budget=s.rate_limit_budget, disable_cache=True, **credential,
            )  # fmt: skip
        return self._client

    def _context(self, what: str, idempotent: bool) -> CallContext:
        last = self._session.last_answer
        return CallContext(
            what=what, conn_id=self.settings.conn_id, endpoint=self.settings.endpoint, idempotent=idempotent,
            retry_after=last.retry_after if last else None,
            trusted=self.settings.ca_file or "the default CA bundle",
        )  # fmt: skip

    def _call(self, what: str, fn: Callable[[Zenpy], T], *, idempotent: bool = True) -> T:
        def attempt() -> T:
            try:
                return fn(self._zenpy())
            except OfficeBridgeError:
                raise
            except Exception as exc:  # zenpy raises bare Exceptions subclasses of several roots
                raise classify(exc, self._context(what, idempotent)) from None

        try:
            return retry_call(attempt, policy=self.retry_policy, what=f"Zendesk {what}")
        except ConnectFailedError as exc:
            raise UnreachableError(f"{exc} (gave up after {self.retry_policy.attempts} tries)") from None

    def _reader(self, what: str, fn: Callable[[Zenpy], Any]) -> Any:
        return self._call(what, fn)

    @staticmethod
    def _kind(name: str) -> str:
        if name not in KINDS:
            raise ConfigError(f"Zendesk has no object {name!r} here; known: {', '.join(KINDS)}")
        return name

    # --- Connector protocol -------------------------------------------------------------------

    def check(self) -> None:
        """Fetch the authenticated user: proves host, TLS trust and credentials in one cheap call."""
        me = self._call("check (users/me)", lambda c: c.users.me())
        log.info("connected to Zendesk %s as %s (connection %s)", self.settings.endpoint,
                 getattr(me, "email", None) or "an OAuth client", self.settings.conn_id)  # fmt: skip

    def describe(self, object_name: str) -> ObjectInfo:
        if self._kind(object_name) == summaries.OBJECT:
            return summaries.object_info()
        info = object_info(object_name)
        assert info is not None
        return info

    def read(self, request: ReadRequest) -> Iterator[Page]:
        """Pages of the incremental export of `request.object`, each with its resume token."""
        kind = self._kind(request.object)
        if request.filter is not None:
            raise ConfigError(f"read {kind}: Zendesk's incremental exports take no filter")
        if request.until is not None:
            raise ConfigError(
                f"read {kind}: Zendesk reads resume by token; `until` partitions are not possible"
            )
        size = max(1, min(reading.MAX_PAGE, request.batch_size))
        if kind == "organizations":
            return reading.by_time(self._reader, request, size)
        if kind == summaries.OBJECT:
            return summaries.read(self._reader, request, size)
        return reading.by_cursor(self._reader, request, size)

    def fetch(self, object_name: str, fields: Sequence[str], ids: Sequence[str]) -> list[SourceRecord]:
        """Records by id through show_many (inactive users included; deleted tickets are not shown)."""
        kind = self._kind(object_name)
        wanted = list(dict.fromkeys(int(i) for i in ids if str(i).isdigit()))
        if kind == summaries.OBJECT:  # recounted now; an organization gone comes flagged deleted
            return summaries.recount(self._reader, wanted, fields)
        found: dict[str, SourceRecord] = {}
        for start in range(0, len(wanted), SHOW_MANY):
            chunk = wanted[start : start + SHOW_MANY]
            for obj in self._call(f"show_many {kind}", _listing(kind, ids=chunk)):
                record = reading.source_record(kind, obj.to_dict(), tuple(fields))
                found[record.id] = record
        return [found[str(i)] for i in wanted if str(i) in found]

    def lookup(self, object_name: str, field_name: str, values: Sequence[Any]) -> dict[Any, str]:
        """external_id and id through show_many (exact, immediate); any other field through search (lags)."""
        kind = self._kind(object_name)
        wanted = list(dict.fromkeys(v for v in values if v not in (None, "")))
        if kind == summaries.OBJECT:
            return self._summary_lookup(field_name, wanted)
        found: dict[Any, str] = {}
        if field_name in ("external_id", "id") and kind != "tickets":
            key = "external_ids" if field_name == "external_id" else "ids"
            for start in range(0, len(wanted), SHOW_MANY):
                chunk = [str(v) for v in wanted[start : start + SHOW_MANY]]
                objs = self._call(f"show_many {kind}", _listing(kind, **{key: chunk}))
                # external ids are case-insensitive in Zendesk ("company1" is "Company1")
                by_value = {str(getattr(o, field_name)).casefold(): str(o.id) for o in objs}
                found.update({
                    v: by_value[str(v).casefold()]
                    for v in wanted[start : start + SHOW_MANY] if str(v).casefold() in by_value
                })  # fmt: skip
            return found
        for start in range(0, len(wanted), 50):
            chunk = wanted[start : start + 50]
            terms = {"type": SEARCH_TYPE[kind], field_name: [str(v) for v in chunk]}
            hits = self._call(f"search {kind}.{field_name}", _searching(terms))
            first: dict[str, str] = {}
            for hit in sorted(hits, key=lambda h: int(h.id)):
                first.setdefault(str(getattr(hit, field_name, "") or "").casefold(), str(hit.id))
            found.update({v: first[str(v).casefold()] for v in chunk if str(v).casefold() in first})
        return found

    def write(self, object_name: str, ops: Sequence[WriteOp]) -> list[WriteResult]:
        kind = self._kind(object_name)
        if kind == summaries.OBJECT:  # the manifest's operations are per system; this object takes none
            return [summaries.refuse(op) for op in ops]
        results: list[WriteResult | None] = [writing.unsupported(kind, op) for op in ops]
        todo = [i for i, r in enumerate(results) if r is None]
        for batch in writing.plan(kind, ops, todo):
            batch_ops = [ops[i] for i in batch.indexes]
            for i, result in zip(batch.indexes, self._send(kind, batch, batch_ops), strict=True):
                results[i] = result
        return [r for r in results if r is not None]

    def close(self) -> None:
        self._session.close()

    def _summary_lookup(self, field_name: str, values: list[Any]) -> dict[Any, str]:
        """Summaries by their organization (id or organization_id): the live ones, recounted."""
        if field_name not in ("id", "organization_id"):
            raise ConfigError(
                f"{summaries.OBJECT} can be looked up by id or organization_id, not {field_name}"
            )
        ids = [int(v) for v in values if str(v).isdigit()]
        live = {r.id for r in summaries.recount(self._reader, ids, ("tickets",)) if not r.deleted}
        return {v: str(v) for v in values if str(v) in live}

    # --- writes -------------------------------------------------------------------------------

    def _send(self, kind: str, batch: writing.Batch, ops: list[WriteOp]) -> list[WriteResult]:
        objs = [writing.zen_object(kind, op) for op in ops]
        what = f"{batch.method} {kind}"
        try:
            if batch.method == "create_or_update":
                return [self._single_upsert(kind, op, obj) for op, obj in zip(ops, objs, strict=True)]
            job = self._call(
                what, lambda c: self._submit(c, kind, batch.method, objs), idempotent=batch.idempotent
            )
            items = self._wait(job.id, what)
        except OutcomeUnknownError as exc:
            return [WriteResult.unknown(op, str(exc)) for op in ops]
        if items is None:
            return [WriteResult.unknown(op, f"the {what} job did not finish in time") for op in ops]
        placed = writing.by_position(items, len(ops))
        return [writing.result_for(op, item, batch.method) for op, item in zip(ops, placed, strict=True)]

    @staticmethod
    def _submit(client: Zenpy, kind: str, method: str, objs: list[Any]) -> Any:
        api = getattr(client, kind)
        if method == "create_many":
            return api.create(objs)
        if method == "update_many":
            return api.update(objs)
        if method == "destroy_many":
            return api.delete(objs)
        return api.create_or_update(objs)

    def _single_upsert(self, kind: str, op: WriteOp, obj: Any) -> WriteResult:
        from connectors.zendesk.errors import ZendeskRequestError  # noqa: PLC0415

        try:
            saved = self._call(f"create_or_update {kind}", lambda c: getattr(c, kind).create_or_update(obj))
        except ZendeskRequestError as exc:
            return WriteResult.failure(
                op, exc.code or f"HTTP_{exc.status}", str(exc), fields=_fields(exc.details)
            )
        last = self._session.last_answer
        return WriteResult.success(op, str(saved.id), created=bool(last and last.status == 201))

    def _wait(self, job_id: str, what: str) -> list[dict[str, Any]] | None:
        """Poll the job until it completes; its per-item results, or None after `job_timeout`."""
        deadline = time.monotonic() + self.settings.job_timeout
        pause = self.job_poll
        while True:
            status = self._call(f"job status of {what}", lambda c: c.job_status(id=job_id))
            if status.status in ("completed", "failed"):
                return [r.to_dict() if hasattr(r, "to_dict") else dict(r) for r in (status.results or [])]
            if time.monotonic() + pause > deadline:
                return None
            time.sleep(pause)
            pause = min(2.0, pause * 2)


def _listing(kind: str, **params: Any) -> Callable[[Zenpy], list[Any]]:
    """A show_many request (`ids=` or `external_ids=`), its parameters bound now."""
    return lambda client: list(getattr(client, kind)(**params))


def _searching(terms: dict[str, Any]) -> Callable[[Zenpy], list[Any]]:
    return lambda client: list(client.search(**terms))


def _fields(details: Any) -> tuple[str, ...]:
    return tuple(details) if isinstance(details, dict) else ()
