"""Bulk API 2.0 for the Salesforce connector: query jobs for big reads, ingest jobs for big writes.

simple-salesforce's `sf.bulk2.<Object>.insert/query` would do, but it hides what
the contract needs: on a failure mid-job it aborts and raises without the job id
(so a job whose fate is unknown cannot be looked up), it sleeps `wait` seconds
before the first poll, returns counts rather than per-record results, and a
failed results page restarts the whole query. So each REST step is sent with the
library's own `call_salesforce`, over the client's verified session and bearer
token, through the connector's `_call` (classification, retries, re-login):

- query: POST `jobs/query` (ORDER BY cursor, Id kept: the docs warn it disables
  PK chunking, but the contract needs the order), poll, then GET `results` pages
  by `Sforce-Locator`; a page is retried with the same locator, never re-read.
- ingest: POST `jobs/ingest`, PUT the CSV (sent once, never retried: a second
  upload could double the data), PATCH `UploadComplete`, poll, then
  successfulResults / failedResults / unprocessedrecords. Results come in no
  promised order, so they are matched to operations by Id (update, delete), the
  external id (upsert) or the uploaded row itself (insert).

Fates: nothing is processed before `UploadComplete`, so a failure up to the
upload aborts the job and hands the ops back to composite (nothing landed). A
close whose answer is lost is resolved by looking the job up by id: Open means
it never closed (abort, hand back), anything else is polled to its end. Only
when the job cannot be looked up do its ops become UNKNOWN. Of a closed job,
each result set is read on its own: what was read is kept, records listed
unprocessed go through composite, and ops no readable set accounts for are
UNKNOWN (it may have applied them). `ingest` never raises.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.util import call_salesforce

from connectors.salesforce.bulk_settings import BulkSettings
from connectors.salesforce.errors import WriteOutcomeUnknownError
from connectors.salesforce.soql import jsonable
from officebridge.connector import FieldInfo, ObjectInfo, OpKind, WriteOp, WriteResult
from officebridge.errors import OfficeBridgeError, RemoteProtocolError

T = TypeVar("T")
log = logging.getLogger(__name__)

Call = Callable[..., Any]  # the connector's `_call(what, fn, idempotent=...)`
MAX_RECORDS_PER_PAGE = 50_000  # what simple-salesforce asks for; Salesforce may send fewer
PAGES_PER_RESULT = 5  # a results page holds this many read batches (its CSV is held while they stream)
MAX_UPLOAD_BYTES = 100 * 1024 * 1024  # simple-salesforce's cap (150 MB base64-encoded is the API's)
TERMINAL = frozenset({"JobComplete", "Failed", "Aborted"})
OPERATIONS = {
    OpKind.CREATE: "insert",
    OpKind.UPDATE: "update",
    OpKind.UPSERT: "upsert",
    OpKind.DELETE: "delete",
}
INTEGERS = frozenset({"int", "long"})
REALS = frozenset({"double", "currency", "percent"})


class BulkJobFailedError(RemoteProtocolError):
    """A Bulk API 2.0 job ended Failed or Aborted (query), or did not finish in time."""


@dataclass(frozen=True, slots=True)
class Upload:
    """One ingest job's data: the ops, and the CSV header and rows they became (for matching)."""

    job_id: str
    kind: OpKind
    ops: Sequence[WriteOp]
    header: list[str]
    rows: list[list[str]]


@dataclass
class JobOutcome:
    results: list[WriteResult | None]  # per op, in order; None: hand back to composite


class BulkClient:
    def __init__(
        self, call: Call, settings: BulkSettings, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.call = call
        self.settings = settings
        self.sleep = sleep
        self.jobs = 0  # jobs created, for tests and the run's figures

    # --- one REST step ------------------------------------------------------------------

    def _request(
        self, what: str, method: str, path: str, *, idempotent: bool = True, **kwargs: Any
    ) -> requests.Response:
        content_type = kwargs.pop("content_type", "application/json")
        accept = kwargs.pop("accept", "application/json")

        def send(client: Salesforce) -> requests.Response:
            headers = {
                "Authorization": "Bearer " + str(client.session_id),
                "Content-Type": content_type,
                "Accept": accept,
            }
            return call_salesforce(client.bulk2_url + path, method, client.session, headers, **kwargs)

        response: requests.Response = self.call(what, send, idempotent=idempotent)
        return response

    def _json(self, what: str, response: requests.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            raise RemoteProtocolError(f"{what}: the answer is not JSON") from None
        if not isinstance(body, dict) or not body.get("id"):
            raise RemoteProtocolError(f"{what}: the answer has no job id")
        return body

    def job(self, kind: str, job_id: str) -> dict[str, Any]:
        return self._json(
            f"bulk {kind} job {job_id}", self._request(f"bulk {kind} job {job_id}", "GET", f"{kind}/{job_id}")
        )

    def wait(self, kind: str, job_id: str) -> dict[str, Any]:
        """Poll until the job is terminal: 0.05 s, doubling, at most `poll_max` apart."""
        started, pause = time.monotonic(), 0.05
        while True:
            info = self.job(kind, job_id)
            if info.get("state") in TERMINAL:
                return info
            if time.monotonic() - started > self.settings.wait:
                raise BulkJobFailedError(
                    f"bulk {kind} job {job_id} still {info.get('state')} after {self.settings.wait:g}s"
                )
            self.sleep(pause)
            pause = min(pause * 2, self.settings.poll_max)

    def abort(self, kind: str, job_id: str) -> None:
        try:
            self._request(
                f"abort bulk job {job_id}", "PATCH", f"{kind}/{job_id}", data=json.dumps({"state": "Aborted"})
            )
        except OfficeBridgeError as exc:  # an Open job never processes anything: leaving it is harmless
            log.warning("could not abort bulk %s job %s: %s", kind, job_id, exc)

    # --- query ----------------------------------------------------------------------------

    def query(
        self,
        soql: str,
        include_deleted: bool,
        info: Callable[[str], ObjectInfo | None],
        batch: int = 2000,
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of at most `batch` records shaped like REST query records (typed values, nested
        relationships).

        Memory stays bounded by the batch, not the job: a results page asks for
        `PAGES_PER_RESULT` batches (`maxRecords`, at most 50,000) and only its CSV text
        is held while its rows are converted and handed on one batch at a time.
        """
        per_request = max(1, min(MAX_RECORDS_PER_PAGE, batch * PAGES_PER_RESULT))
        spec = {"operation": "queryAll" if include_deleted else "query", "query": soql,
                "columnDelimiter": "COMMA", "lineEnding": "LF"}  # fmt: skip
        created = self._json(
            "bulk query", self._request("create bulk query", "POST", "query", data=json.dumps(spec))
        )
        self.jobs += 1
        job_id = str(created["id"])
        final = self.wait("query", job_id)
        if final.get("state") != "JobComplete":
            raise BulkJobFailedError(
                f"bulk query job {job_id} {final.get('state')}: {final.get('errorMessage') or ''}"
            )
        locator: str | None = None
        seen: set[str] = set()
        convert: _Converter | None = None
        while True:
            params: dict[str, Any] = {"maxRecords": per_request}
            if locator:
                params["locator"] = locator
            response = self._request(f"bulk query {job_id} results", "GET", f"query/{job_id}/results",
                                     params=params, accept="text/csv")  # fmt: skip
            count = response.headers.get("Sforce-NumberOfRecords")
            following = response.headers.get("Sforce-Locator") or None
            text = response.content.decode("utf-8").replace("\x00", "")
            del response  # the decoded text is all this page needs from here on
            rows = csv.reader(io.StringIO(text, newline=""))
            header = next(rows, [])
            seen_rows = 0
            chunk: list[dict[str, Any]] = []
            for row in rows:
                convert = convert or _Converter(header, info)
                chunk.append(convert.record(row))
                seen_rows += 1
                if len(chunk) >= batch:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk
            del text, rows, chunk
            if count is not None and count.isdigit() and int(count) != seen_rows:
                raise RemoteProtocolError(
                    f"bulk query {job_id}: {seen_rows} rows, Sforce-NumberOfRecords {count}"
                )
            locator = following
            if locator in (None, "null"):
                return
            if locator in seen:
                raise RemoteProtocolError(f"bulk query {job_id}: paging loop, locator {locator} came back")
            seen.add(locator)

    # --- ingest ---------------------------------------------------------------------------

    def ingest(
        self, object_name: str, kind: OpKind, key_field: str | None, ops: Sequence[WriteOp]
    ) -> JobOutcome:
        """One job per upload of at most `MAX_UPLOAD_BYTES`; never raises: every op is answered,
        or handed back (None) when nothing of it can have been processed."""
        header, rows = _csv_rows(kind, key_field, ops)
        data = _csv_text([header, *rows])
        if len(data.encode("utf-8")) > MAX_UPLOAD_BYTES:
            half = len(ops) // 2
            if half == 0:  # composite refuses it on its own, with Salesforce's reason
                return JobOutcome([None])
            first = self.ingest(object_name, kind, key_field, ops[:half])
            return JobOutcome(first.results + self.ingest(object_name, kind, key_field, ops[half:]).results)
        spec: dict[str, Any] = {"object": object_name, "operation": OPERATIONS[kind], "contentType": "CSV",
                                "columnDelimiter": "COMMA", "lineEnding": "LF"}  # fmt: skip
        if kind is OpKind.UPSERT:
            spec["externalIdFieldName"] = key_field
        job_id = self._open(f"create bulk {spec['operation']} {object_name}", spec, data)
        if job_id is None:
            return JobOutcome([None] * len(ops))
        try:
            self._request(f"close bulk job {job_id}", "PATCH", f"ingest/{job_id}", idempotent=False,
                          data=json.dumps({"state": "UploadComplete"}))  # fmt: skip
        except WriteOutcomeUnknownError as exc:
            return self._after_lost_close(Upload(job_id, kind, ops, header, rows), str(exc))
        except OfficeBridgeError as exc:
            log.warning(
                "bulk job %s was refused closing (%s); aborted, the batch goes through composite", job_id, exc
            )
            self.abort("ingest", job_id)
            return JobOutcome([None] * len(ops))
        return self._finish(Upload(job_id, kind, ops, header, rows))

    def _open(self, what: str, spec: dict[str, Any], data: str) -> str | None:
        """Create a job and upload its CSV; None when either failed (nothing is processed before the
        close: the job, if any, is aborted and the batch handed back to composite)."""
        try:
            created = self._json(what, self._request(what, "POST", "ingest", data=json.dumps(spec)))
        except OfficeBridgeError as exc:
            log.warning("%s failed (%s); the batch goes through composite", what, exc)
            return None
        self.jobs += 1
        job_id = str(created["id"])
        try:
            self._request(f"upload bulk job {job_id}", "PUT", f"ingest/{job_id}/batches", idempotent=False,
                          data=data.encode("utf-8"), content_type="text/csv; charset=UTF-8")  # fmt: skip
        except OfficeBridgeError as exc:
            log.warning(
                "bulk job %s upload failed (%s); aborted, the batch goes through composite", job_id, exc
            )
            self.abort("ingest", job_id)
            return None
        return job_id

    def _after_lost_close(self, up: Upload, why: str) -> JobOutcome:
        """The close may or may not have landed: look the job up by id before anything else."""
        try:
            state = self.job("ingest", up.job_id).get("state")
        except OfficeBridgeError as exc:
            message = (
                f"{why}; bulk job {up.job_id} could not be looked up ({exc}); look it up before resending"
            )
            return JobOutcome([WriteResult.unknown(op, message) for op in up.ops])
        if state == "Open":  # the close never arrived: nothing was processed
            self.abort("ingest", up.job_id)
            return JobOutcome([None] * len(up.ops))
        return self._finish(up)

    def _finish(self, up: Upload) -> JobOutcome:
        """Wait for the closed job and match its results to the ops.

        Each result set is read on its own, so what could be read is kept: records
        listed unprocessed go through composite, and the records no readable set
        accounts for are UNKNOWN (the job may have applied them), unless the job
        itself says it processed none.
        """
        try:
            final = self.wait("ingest", up.job_id)
        except OfficeBridgeError as exc:
            message = f"bulk job {up.job_id} closed, its end unknown ({exc}): it may have applied"
            return JobOutcome([WriteResult.unknown(op, message) for op in up.ops])
        read: dict[str, list[dict[str, str]]] = {}
        unread: list[str] = []
        for which in ("successfulResults", "failedResults", "unprocessedrecords"):
            try:
                read[which] = self._results(up.job_id, which)
            except OfficeBridgeError as exc:
                read[which] = []
                unread.append(f"{which}: {exc}")
        if unread and final.get("state") != "JobComplete" and final.get("numberRecordsProcessed") == 0:
            return JobOutcome([None] * len(up.ops))  # the job says it touched nothing
        missing = None
        if unread:
            missing = (
                f"bulk job {up.job_id} closed, results unreadable ({'; '.join(unread)}): it may have applied"
            )
        done, failed, unprocessed = read.values()
        return JobOutcome(_match(up, done, failed, unprocessed, missing=missing))

    def _results(self, job_id: str, which: str) -> list[dict[str, str]]:
        response = self._request(
            f"bulk job {job_id} {which}", "GET", f"ingest/{job_id}/{which}", accept="text/csv"
        )
        text = response.content.decode("utf-8").replace("\x00", "")
        return list(csv.DictReader(io.StringIO(text, newline=""))) if text.strip() else []


# --- CSV both ways ----------------------------------------------------------------------


def _cell(value: Any) -> str:
    """A value as a Bulk CSV cell: null is `#N/A` (an empty cell would leave the field unchanged)."""
    value = jsonable(value)
    if value is None:
        return "#N/A"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def _csv_rows(
    kind: OpKind, key_field: str | None, ops: Sequence[WriteOp]
) -> tuple[list[str], list[list[str]]]:
    if kind is OpKind.DELETE:
        return ["Id"], [[str(op.target_id)] for op in ops]
    columns: dict[str, None] = {"Id": None} if kind is OpKind.UPDATE else {}
    if kind is OpKind.UPSERT and key_field:
        columns[key_field] = None
    for op in ops:
        for name in op.values:
            if name.lower() != "id":
                columns.setdefault(name, None)
    header = list(columns)
    rows = []
    for op in ops:
        values = {k: v for k, v in op.values.items() if k.lower() != "id"}
        if kind is OpKind.UPDATE:
            values["Id"] = op.target_id
        rows.append([_cell(values[c]) if c in values else "" for c in header])
    return header, rows


def _csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def _error(raw: str) -> tuple[str, str, tuple[str, ...]]:
    """`CODE:message:Field1,Field2 --` as (code, message, fields)."""
    text = raw.strip()
    if text.endswith("--"):
        text = text[:-2].rstrip()
    code, _, rest = text.partition(":")
    message, sep, fields = rest.rpartition(":")
    if not sep:
        message, fields = rest, ""
    names = tuple(f.strip() for f in fields.split(",") if f.strip() and " " not in f.strip())
    if fields and not names:  # the last colon was inside the message
        message = rest
    return code.strip() or "UNKNOWN_EXCEPTION", message.strip() or raw, names


def _match(
    up: Upload,
    done: list[dict[str, str]],
    failed: list[dict[str, str]],
    unprocessed: list[dict[str, str]],
    missing: str | None = None,
) -> list[WriteResult | None]:
    """Results to ops: by the uploaded row's cells (which carry Id or the key), in upload order.

    An op no result names is UNKNOWN, with `missing` as the reason when a result set was unreadable.
    """
    job_id, kind, ops, header, rows = up.job_id, up.kind, up.ops, up.header, up.rows
    waiting: dict[tuple[str, ...], list[int]] = {}
    for index, row in enumerate(rows):
        waiting.setdefault(tuple(row), []).append(index)

    def take(result: dict[str, str]) -> int | None:
        key = tuple(result.get(name, "") for name in header)
        queue = waiting.get(key)
        return queue.pop(0) if queue else None

    out: list[WriteResult | None] = [None] * len(ops)
    seen = [False] * len(ops)
    for result in done:
        i = take(result)
        if i is not None:
            seen[i] = True
            created = kind is OpKind.CREATE or result.get("sf__Created", "").lower() == "true"
            out[i] = WriteResult.success(ops[i], result.get("sf__Id") or ops[i].target_id, created=created)
    for result in failed:
        i = take(result)
        if i is not None:
            seen[i] = True
            code, message, fields = _error(result.get("sf__Error", ""))
            out[i] = WriteResult.failure(
                ops[i], code, message, fields=fields, target_id=result.get("sf__Id") or None
            )
    for result in unprocessed:
        i = take(result)
        if i is not None:
            seen[i] = True  # Salesforce says it never touched them: composite may send them
    for i, op in enumerate(ops):
        if not seen[i]:
            out[i] = WriteResult.unknown(
                op, missing or f"bulk job {job_id} reported no result for this record"
            )
    return out


class _Converter:
    """CSV cells back into the values a REST query gives: types from the describe, nested parents."""

    def __init__(self, header: list[str], info: Callable[[str], ObjectInfo | None]) -> None:
        self.header = header
        self.types = [_field_type(name, info) for name in header]

    def record(self, row: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, kind, cell in zip(self.header, self.types, row, strict=False):
            value = _typed(kind, cell)
            parts = name.split(".")
            target = out
            for part in parts[:-1]:
                nested = target.get(part)
                if not isinstance(nested, dict):
                    nested = {}
                    target[part] = nested
                target = nested
            target[parts[-1]] = value
        return {k: (_none_if_empty(v) if isinstance(v, dict) else v) for k, v in out.items()}


def _none_if_empty(parent: dict[str, Any]) -> dict[str, Any] | None:
    """A parent whose every cell is empty is an empty relationship (null in a REST answer)."""
    if all(v is None or (isinstance(v, dict) and _none_if_empty(v) is None) for v in parent.values()):
        return None
    return parent


def _field_type(path: str, info: Callable[[str], ObjectInfo | None]) -> str | None:
    """The describe type at a (dotted) path; None when it cannot be known (kept as text)."""
    *parents, last = path.split(".")
    obj = info("")
    for rel in parents:
        if obj is None:
            return None
        field = _relationship(obj, rel)
        obj = info(field.reference_to[0]) if field is not None and field.reference_to else None
    if obj is None:
        return None
    found = next((f for n, f in obj.fields.items() if n.lower() == last.lower()), None)
    return found.type if found else None


def _relationship(obj: ObjectInfo, rel: str) -> FieldInfo | None:
    """The lookup field behind a relationship name: Account -> AccountId, Parent__r -> Parent__c."""
    names = (rel[:-3] + "__c",) if rel.lower().endswith("__r") else (rel + "Id", rel)
    for name in names:
        for field_name, f in obj.fields.items():
            if field_name.lower() == name.lower() and f.reference_to:
                return f
    return None


def _typed(kind: str | None, cell: str) -> Any:
    if cell == "":
        return None  # Bulk CSV has no null but the empty cell; REST answers null for empty text too
    if kind == "boolean":
        return cell.lower() == "true"
    if kind in INTEGERS or kind in REALS:
        try:
            return int(float(cell)) if kind in INTEGERS else float(cell)
        except ValueError:
            return cell
    if kind == "datetime" and cell.endswith("Z"):
        return cell[:-1] + "+0000"  # the REST form of the same instant
    return cell
