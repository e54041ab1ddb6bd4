"""The Salesforce adapter: the only code in officebridge that calls simple-salesforce.

It logs in with `SalesforceLogin` (SOAP, username + password + security token),
then builds a `Salesforce` client from the session id over our own
`VerifyingSession`, so TLS trust and timeouts are ours, not the environment's.
Every remote call goes through `_call`, which classifies failures in one place
(`errors.py`) and retries transient ones with `retry_call`; an expired session is
answered by logging in again. Reads use the server-side query cursor
(`nextRecordsUrl`), so records sharing one SystemModstamp across a page boundary
are neither lost nor repeated. Writes use sObject Collections, 200 records per
request, partial success allowed. Big reads and writes go through Bulk API 2.0
instead (`bulk.py`; when: `extra.bulk`, `bulk_settings.py`), and every call first
asks the org's API budget (`budget.py`, from `Sforce-Limit-Info`). One `write`
call may bring up to the manifest's `max_write_call` ops, since it answers every
op whatever one of its requests does (see `write`).

ARCHIVE has no native meaning in Salesforce. We map it to setting a boolean
activity flag to false when the object has an updateable one (`IsActive`, as on
Product2 or User, or a custom `Active__c`); otherwise each archive op fails with
ARCHIVE_NOT_SUPPORTED, so a mapping asks explicitly for `delete` (to the recycle
bin) instead of silently losing records.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TypeVar
from xml.parsers.expat import ExpatError

import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceError
from simple_salesforce.login import SalesforceLogin

from connectors.salesforce import composite, soql
from connectors.salesforce.budget import ApiBudget, ApiBudgetExhaustedError
from connectors.salesforce.bulk import BulkClient, BulkJobFailedError
from connectors.salesforce.bulk_settings import BulkMode, bulk_settings
from connectors.salesforce.errors import (
    CallContext,
    ConnectFailedError,
    SalesforceRequestError,
    WriteOutcomeUnknownError,
    classify_http,
    classify_login_failure,
    classify_network,
    deadline_passed,
    login_not_soap,
)
from connectors.salesforce.manifest import MANIFEST
from connectors.salesforce.records import object_info, source_record
from connectors.salesforce.session import ApiUsage, VerifyingSession
from connectors.salesforce.settings import SalesforceSettings, settings_from_connection
from officebridge.connections import Connection
from officebridge.connector import (
    ConnectorManifest,
    ObjectInfo,
    OpKind,
    Page,
    ReadRequest,
    SourceRecord,
    WriteOp,
    WriteResult,
)
from officebridge.deadline import Deadline
from officebridge.errors import (
    AuthenticationError,
    ConfigError,
    OfficeBridgeError,
    OutcomeUnknownError,
    RemoteProtocolError,
    RetriableError,
    SessionExpiredError,
    TLSVerificationError,
    UnreachableError,
)
from officebridge.retry import DEFAULT_POLICY, RetryPolicy, retry_call
from officebridge.secrets import Secret, redact

T = TypeVar("T")
log = logging.getLogger(__name__)

NOT_SENT = "NOT_SENT"  # an op of a write call that stopped before its request went out
TRANSIENT_IN_A_ROW = 2  # requests of one write call failing transiently before the rest is not sent
# every later call of this write would fail the same way
STOPS = (AuthenticationError, TLSVerificationError, UnreachableError, ApiBudgetExhaustedError)
MIN_QUERY_BATCH, MAX_QUERY_BATCH = 200, 2000  # what Sforce-Query-Options: batchSize accepts
ARCHIVE_FLAGS = ("IsActive", "Active__c")
_SF_ID = re.compile(r"[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?")  # what Salesforce accepts as an Id


class SalesforceConnector:
    """Connector for Salesforce over its REST API (simple-salesforce 1.12)."""

    manifest: ClassVar[ConnectorManifest] = MANIFEST

    def __init__(self, connection: Connection, *, retry_policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self.settings: SalesforceSettings = settings_from_connection(connection)
        self.retry_policy = retry_policy
        self.api_usage: ApiUsage | None = None  # from the last Sforce-Limit-Info header seen
        self.logins = 0  # how many times we logged in (re-logins after expiry included)
        self._session = VerifyingSession(self.settings.ca_file or True, self.settings.timeout)
        self._client: Salesforce | None = None
        self._describes: dict[str, ObjectInfo] = {}
        self.bulk_settings = bulk_settings(connection.conn_id, connection.extra)
        self.budget = ApiBudget(self.settings.conn_id, self.bulk_settings)
        self.bulk = BulkClient(self._call, self.bulk_settings)

    # --- plumbing ---------------------------------------------------------------

    def _context(self, what: str, idempotent: bool) -> CallContext:
        last = self._session.last_answer
        return CallContext(
            what=what,
            conn_id=self.settings.conn_id,
            endpoint=self.settings.login_endpoint,
            idempotent=idempotent,
            retry_after=last.retry_after if last else None,
            trusted=self.settings.ca_file or "the default CA bundle",
        )

    def _login(self) -> Salesforce:
        s = self.settings
        try:
            session_id, instance = SalesforceLogin(
                username=s.username,
                password=s.password.reveal(),
                security_token=s.security_token.reveal() or None,
                sf_version=s.version,
                session=self._session,
                domain=s.domain,
                scratch_url=s.login_url,
            )
        except SalesforceAuthenticationFailed as exc:
            raise classify_login_failure(exc, self._context("login", True), s.username) from None
        except requests.RequestException as exc:
            raise classify_network(exc, self._context("login", True)) from None
        except ExpatError:  # an HTML page or other non-XML answered with 200: not Salesforce's SOAP
            raise login_not_soap(self._context("login", True)) from None
        Secret(session_id)  # registers the session id, so `redact` masks it wherever it shows up
        self.logins += 1
        log.info(
            "logged in to Salesforce as %s (connection %s, instance %s)", s.username, s.conn_id, instance
        )
        return Salesforce(
            session_id=session_id,
            instance_url=f"https://{instance}",
            session=self._session,
            version=s.version,
        )

    def _call(self, what: str, fn: Callable[[Salesforce], T], *, idempotent: bool = True) -> T:
        """Run `fn(client)`, logging in when needed, classifying and retrying failures."""

        def attempt() -> T:
            self.budget.before_call(self.api_usage)  # slows down near the daily allocation, stops before it
            with Deadline(self.settings.timeout) as deadline:
                try:
                    if self._client is None:
                        self._client = self._login()
                    return fn(self._client)
                except Exception as exc:
                    if deadline.expired:  # whatever the client made of its shut socket
                        raise deadline_passed(self._context(what, idempotent), deadline.seconds) from None
                    if isinstance(exc, SalesforceError):
                        raise classify_http(exc, self._context(what, idempotent)) from None
                    if isinstance(exc, requests.RequestException):
                        raise classify_network(exc, self._context(what, idempotent)) from None
                    raise
                finally:
                    self._note_usage()

        def on_retry(exc: OfficeBridgeError) -> None:
            if isinstance(exc, SessionExpiredError):
                self._client = None  # the next attempt logs in again

        try:
            return retry_call(attempt, policy=self.retry_policy, what=f"Salesforce {what}", on_retry=on_retry)
        except ConnectFailedError as exc:
            raise UnreachableError(f"{exc} (gave up after {self.retry_policy.attempts} tries)") from None

    def _note_usage(self) -> None:
        last = self._session.last_answer
        if last is not None and last.api_usage is not None:
            self.api_usage = last.api_usage

    # --- Connector protocol -------------------------------------------------------

    def check(self) -> None:
        """Log in and read the org's limits: proves credentials, TLS trust and the API version."""
        self._call("check (limits)", lambda c: c.limits())

    def describe(self, object_name: str) -> ObjectInfo:
        soql.check_name(object_name)
        if object_name not in self._describes:
            try:
                body = self._call(f"describe {object_name}", lambda c: getattr(c, object_name).describe())
            except SalesforceRequestError as exc:
                if exc.status != 404:
                    raise
                raise ConfigError(
                    f"Salesforce has no object {object_name!r} (connection {self.settings.conn_id!r})"
                ) from None
            self._describes[object_name] = object_info(body, object_name)
        return self._describes[object_name]

    def read(self, request: ReadRequest) -> Iterator[Page]:
        """Yield each query page (split further when `batch_size` < 200), ordered by (cursor, Id).

        `filter` is a SOQL condition; it is ANDed, in parentheses, with the cursor
        condition. Salesforce pages between 200 and 2000 records, so batch_size is
        sent clamped to that range as `Sforce-Query-Options: batchSize=`.
        """
        name = request.object
        if request.filter is not None and not isinstance(request.filter, str):
            raise ConfigError(f"read {name}: the filter must be a SOQL condition string")
        if request.batch_size < 1:
            raise ConfigError(f"read {name}: batch_size must be positive")
        if request.since is not None and not isinstance(request.since, datetime):
            raise ConfigError(f"read {name}: Salesforce reads by a change stamp, not a token")
        cursor = request.cursor or MANIFEST.capabilities.default_cursor
        since, until = request.whole_seconds()  # SOQL datetime literals carry no fractions
        query = soql.read_query(
            name,
            request.fields,
            since=since,
            until=until,
            where=request.filter,
            include_deleted=request.include_deleted,
            cursor_field=cursor,
        )
        size = request.batch_size
        for page in self._read_pages(request, query):
            records = [source_record(raw, name, request.fields, cursor_field=cursor) for raw in page]
            records = [r for r in records if request.holds(r.cursor)]
            for start in range(0, len(records), size):
                yield Page(records[start : start + size])

    def count(self, request: ReadRequest) -> int | None:
        """How many records `read(request)` will yield: SELECT COUNT() with the same WHERE (for progress).

        Not yet in the connector contract (the engine finds it with getattr); None when it cannot say.
        """
        if request.since is not None and not isinstance(request.since, datetime):
            return None
        query = soql.read_query(
            request.object,
            ("Id",),
            since=request.since,
            until=request.until,
            where=request.filter if isinstance(request.filter, str) else None,
            include_deleted=request.include_deleted,
            cursor_field=request.cursor or MANIFEST.capabilities.default_cursor,
        )
        conditions = query.partition(" FROM ")[2].rsplit(" ORDER BY ", 1)[0]
        body = self._call(
            f"count {request.object}",
            lambda c: c.query(f"SELECT COUNT() FROM {conditions}", include_deleted=request.include_deleted),
        )
        total = body.get("totalSize") if isinstance(body, dict) else None
        return total if isinstance(total, int) else None

    def _read_pages(self, request: ReadRequest, query: str) -> Iterator[list[Any]]:
        """Bulk API 2.0 query pages when chosen, else REST query pages.

        `auto` decides on the first REST page's `totalSize` (no extra call for the
        usual small incremental read); above `bulk_threshold` that page is dropped
        and the query runs as a Bulk job. A Bulk query refused or failed before
        its first page falls back to REST (nothing was yielded yet).
        """
        what = f"query {request.object}"
        mode = self.bulk_settings.mode
        first: Any = None
        big = mode is BulkMode.ALWAYS
        if mode is BulkMode.AUTO:
            first = self._first_page(what, query, request.include_deleted, request.batch_size)
            total = first.get("totalSize") if isinstance(first, dict) else None
            done = first.get("done", True) if isinstance(first, dict) else True
            big = isinstance(total, int) and total > self.bulk_settings.read_threshold and not done
        if big and self._bulk_can_select(request):
            pages = self.bulk.query(
                query, request.include_deleted, lambda o: self._info(o or request.object), request.batch_size
            )
            try:
                head = next(pages, None)
            except (SalesforceRequestError, BulkJobFailedError) as exc:
                log.warning("%s: Bulk API 2.0 query not usable (%s); reading through REST", what, exc)
            else:
                if head is not None:
                    yield head
                    yield from pages
                return
            first = None
        yield from self._pages(what, query, request.include_deleted, request.batch_size, first=first)

    def _bulk_can_select(self, request: ReadRequest) -> bool:
        """Bulk queries cannot select compound fields (addresses, geolocations)."""
        info = self._info(request.object)
        compound = {"address", "location"}
        return info is None or not any(
            f.type in compound for n, f in info.fields.items() if n in request.fields
        )

    def _info(self, object_name: str) -> ObjectInfo | None:
        try:
            return self.describe(object_name)
        except OfficeBridgeError:
            return None

    def _first_page(self, what: str, query: str, include_deleted: bool, batch_size: int) -> Any:
        headers = _query_options(batch_size)
        return self._call(what, lambda c: c.query(query, include_deleted=include_deleted, headers=headers))

    def _pages(
        self, what: str, query: str, include_deleted: bool, batch_size: int, first: Any = None
    ) -> Iterator[list[Any]]:
        headers = _query_options(batch_size)
        body = self._first_page(what, query, include_deleted, batch_size) if first is None else first
        seen: set[str] = set()  # a server whose nextRecordsUrl comes back would page for ever
        total = body.get("totalSize") if isinstance(body, dict) else None
        count = 0
        while True:
            if not isinstance(body, dict) or not isinstance(body.get("records"), list):
                raise RemoteProtocolError(f"{what}: the answer has no record list")
            count += len(body["records"])
            if isinstance(total, int) and count > total:
                raise RemoteProtocolError(f"{what}: {count} records paged, more than the {total} announced")
            if body["records"]:
                yield body["records"]
            next_url = body.get("nextRecordsUrl")
            if body.get("done", True) or not next_url:
                return
            if next_url in seen:
                raise RemoteProtocolError(f"{what}: paging loop, nextRecordsUrl {next_url} came back")
            seen.add(str(next_url))
            body = self._call(what, _query_more(next_url, headers))

    def fetch(self, object_name: str, fields: Sequence[str], ids: Sequence[str]) -> list[SourceRecord]:
        """Read records again by Id through queryAll, so deleted ones come back too (flagged).

        Records that no longer exist at all (purged from the recycle bin) are
        simply absent from the result; order follows `ids`.
        """
        wanted = list(dict.fromkeys(i for i in ids if i and _SF_ID.fullmatch(str(i))))  # never sent otherwise
        if not wanted:
            return []
        cursor = MANIFEST.capabilities.default_cursor
        columns = soql.select_list(fields, include_deleted=True, cursor_field=cursor)
        found: dict[str, SourceRecord] = {}
        for query in soql.in_chunks(object_name, "Id", wanted, select=columns):
            for page in self._pages(f"fetch {object_name}", query, True, MAX_QUERY_BATCH):
                for raw in page:
                    record = source_record(raw, object_name, fields, cursor_field=cursor)
                    found[record.id] = record
        by_short = {rid[:15]: rec for rid, rec in found.items()}  # callers may hold 15-character ids
        return [r for r in (found.get(i) or by_short.get(i[:15]) for i in wanted) if r is not None]

    def lookup(self, object_name: str, field_name: str, values: Sequence[Any]) -> dict[Any, str]:
        """Map each value to the Id of a record holding it (the lowest Id when several do).

        Text comparison in SOQL is case-insensitive, as in Salesforce itself; each
        value the caller gave maps to the record that matched it.
        """
        wanted: dict[Any, list[Any]] = {}
        for value in values:
            if value is not None and value != "":
                wanted.setdefault(_norm(value), []).append(value)
        found: dict[Any, str] = {}
        originals = [group[0] for group in wanted.values()]
        for query in soql.in_chunks(object_name, field_name, originals):
            for page in self._pages(f"lookup {object_name}.{field_name}", query, False, MAX_QUERY_BATCH):
                for raw in page:
                    for value in wanted.get(_norm(_get_ci(raw, field_name)), []):
                        found.setdefault(value, str(raw["Id"]))
        return found

    def write(self, object_name: str, ops: Sequence[WriteOp]) -> list[WriteResult]:
        """Valid ops (the engine checked them with `invalid_op`) as Bulk jobs and sObject Collections.

        Every op gets an answer whatever one request does (the manifest's `max_write_call`):
        a request that fails answers for its own ops, and the answers of those that
        landed are kept. Per failed request (after `_call`'s own retries):

        - refused (a 4xx): FAILED with Salesforce's code and message;
        - may have landed (a create timed out, reset or answered 5xx after it was sent;
          an answer that cannot be read): UNKNOWN, so the engine parks them;
        - a transient fault that outlived the retries (a rate limit, a 5xx, an update's
          timeout: not applied, or safe to send again): FAILED, `retriable`; after two
          such requests in a row the rest of the call is not sent (the org is not answering);
        - a stop that makes every later call pointless (refused login, TLS trust, an
          unreachable host, the API budget's `api_stop_at`): this and every later
          request FAILED `NOT_SENT`, `retriable`, without another call.

        A transient fault or a stop is raised instead while nothing of this call has
        been answered yet, as before: nothing was applied, and the engine's own retry
        (or the scheduler's) sends the whole call again. Bulk jobs answer as `bulk.py`
        says: nothing processed goes through composite, results that cannot be read
        are UNKNOWN, unprocessed records are sent through composite.
        """
        soql.check_name(object_name)
        effective = self._effective_ops(object_name, list(ops))
        results = [op if isinstance(op, WriteResult) else None for op in effective]
        todo = [(i, op) for i, op in enumerate(effective) if isinstance(op, WriteOp)]
        todo_ops = [op for _, op in todo]
        answers = _Answers()
        for group in composite.plan(todo_ops, max_records=max(1, len(todo_ops))):  # runs of one kind
            group_ops = [todo_ops[j] for j in group.indexes]
            got: list[WriteResult | None] = [None] * len(group_ops)
            if answers.stopped is None and self._bulk_write(len(group_ops)):
                got = self.bulk.ingest(object_name, group.kind, group.key_field, group_ops).results
                answers.answered = answers.answered or any(r is not None for r in got)
            rest = [k for k, r in enumerate(got) if r is None]  # not sent by Bulk, or never processed
            rest_ops = [group_ops[k] for k in rest]
            for chunk in composite.plan(rest_ops):
                chunk_ops = [rest_ops[m] for m in chunk.indexes]
                sent = self._send(object_name, chunk, chunk_ops, answers)
                for m, result in zip(chunk.indexes, sent, strict=True):
                    got[rest[m]] = result
            for j, one in zip(group.indexes, got, strict=True):
                results[todo[j][0]] = one
        return [r for r in results if r is not None]

    def _bulk_write(self, count: int) -> bool:
        mode = self.bulk_settings.mode
        return mode is BulkMode.ALWAYS or (
            mode is BulkMode.AUTO and count >= self.bulk_settings.write_threshold
        )

    def _send(
        self, object_name: str, chunk: composite.Chunk, ops: list[WriteOp], answers: _Answers
    ) -> list[WriteResult]:
        """One sObject Collections request; its ops answered whatever happens to it (see `write`)."""
        if answers.stopped is not None:
            return [_not_sent(op, answers.stopped) for op in ops]
        request = composite.build(object_name, chunk.kind, chunk.key_field, ops)
        what = f"{chunk.kind.value} {len(ops)} {object_name}"
        try:
            body = self._call(
                what,
                lambda c: c.restful(
                    request.path, params=request.params, method=request.method, json=request.body
                ),
                idempotent=chunk.kind in composite.IDEMPOTENT,
            )
            results = composite.results(object_name, chunk.kind, ops, body)
        except (WriteOutcomeUnknownError, OutcomeUnknownError) as exc:
            results = [WriteResult.unknown(op, str(exc)) for op in ops]
        except STOPS as exc:
            if not answers.answered:
                raise
            answers.stopped = str(exc)
            return [_not_sent(op, answers.stopped) for op in ops]
        except RetriableError as exc:  # outlived the retries: not applied, or safe to send again
            if not answers.answered:
                raise
            answers.transient += 1
            if answers.transient >= TRANSIENT_IN_A_ROW:
                answers.stopped = f"{answers.transient} requests in a row failed, the last with: {exc}"
            message = redact(f"{exc} (after {max(1, exc.attempts)} tries; safe to send again)")
            return [WriteResult.failure(op, "REQUEST_FAILED", message, retriable=True) for op in ops]
        except SalesforceRequestError as exc:  # refused: nothing of this request was applied
            code = exc.error_code or f"HTTP_{exc.status}"
            results = [WriteResult.failure(op, code, str(exc)) for op in ops]
        except Exception as exc:  # sent, answered with what we cannot read: it may have been applied
            log.warning("%s: %s; its records are reported as of unknown outcome", what, exc)
            message = f"{what}: {type(exc).__name__}: {exc}; it may have been applied"
            results = [WriteResult.unknown(op, redact(message)) for op in ops]
        answers.answered = True
        answers.transient = 0
        return results

    def _effective_ops(self, object_name: str, ops: list[WriteOp]) -> list[WriteOp | WriteResult]:
        """Rewrite ARCHIVE as an update of the object's activity flag, or fail it honestly."""
        if not any(op.kind is OpKind.ARCHIVE for op in ops):
            return list(ops)
        flag = self._archive_flag(object_name)
        out: list[WriteOp | WriteResult] = []
        for op in ops:
            if op.kind is not OpKind.ARCHIVE:
                out.append(op)
            elif flag is None:
                out.append(
                    WriteResult.failure(
                        op,
                        "ARCHIVE_NOT_SUPPORTED",
                        f"{object_name} has no updateable boolean {' or '.join(ARCHIVE_FLAGS)} field to "
                        f"archive record {op.target_id}; use the delete policy instead",
                    )
                )
            else:
                out.append(
                    WriteOp(kind=OpKind.UPDATE, ref=op.ref, values={flag: False}, target_id=op.target_id)
                )
        return out

    def _archive_flag(self, object_name: str) -> str | None:
        info = self.describe(object_name)
        for name in ARCHIVE_FLAGS:
            f = info.fields.get(name)
            if f is not None and f.type == "boolean" and not f.readonly:
                return name
        return None

    def close(self) -> None:
        self._client = None
        self._session.close()


@dataclass(slots=True)
class _Answers:
    """What one write call has learnt so far: whether any op was answered, and whether to go on."""

    answered: bool = False  # a request's ops got answers (landed, refused or unknown)
    transient: int = 0  # requests in a row that failed transiently
    stopped: str | None = None  # why no further request of this call is sent


def _not_sent(op: WriteOp, why: str) -> WriteResult:
    message = redact(f"not sent: this write call stopped ({why}); safe to send again")
    return WriteResult.failure(op, NOT_SENT, message, retriable=True)


def _query_options(batch_size: int) -> dict[str, str]:
    size = max(MIN_QUERY_BATCH, min(MAX_QUERY_BATCH, batch_size))
    return {"Sforce-Query-Options": f"batchSize={size}"}


def _query_more(url: str, headers: dict[str, str]) -> Callable[[Salesforce], Any]:
    def call(client: Salesforce) -> Any:
        return client.query_more(url, identifier_is_url=True, headers=headers)

    return call


def _get_ci(record: Any, key: str) -> Any:
    if not isinstance(record, dict):
        return None
    if key in record:
        return record[key]
    return next((v for k, v in record.items() if k.lower() == key.lower()), None)


def _norm(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value
