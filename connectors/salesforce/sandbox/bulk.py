"""Bulk API 2.0 (`/services/data/vXX.X/jobs/`): query and ingest jobs, CSV in and out.

The state machine is Salesforce's: an ingest job is `Open` until its CSV is
uploaded (one `PUT .../batches`, answered 201) and closed (`PATCH {"state":
"UploadComplete"}`); it is then processed, and reads `InProgress` on the next
poll and `JobComplete` (or `Failed`) after that, so a client must poll. A query
job starts `UploadComplete`, polls the same way, and pages its CSV results by
`maxRecords` and an opaque `Sforce-Locator` (the string "null" on the last
page), with `Sforce-NumberOfRecords` on every page. Results before completion
are refused with 412 (query) as Salesforce does. Ingest results are CSV:
`sf__Id,sf__Created,<uploaded columns>` for successes, `sf__Id,sf__Error,<columns>`
for failures, the uploaded rows for `unprocessedrecords`. Records are written by
the same `Writer` as the REST API, one savepoint per row (committed 200 rows at
a time, as a composite request's records are), so validation, faults and
stamps behave alike. Each HTTP call counts against the API usage like any
other REST call (Salesforce counts Bulk API 2.0 requests as API requests).
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connectors.salesforce.sandbox.errors import SfError
from connectors.salesforce.sandbox.ids import make_id, normalize_id
from connectors.salesforce.sandbox.query import QueryEngine
from connectors.salesforce.sandbox.records import MultipleMatches, Writer
from connectors.salesforce.sandbox.schema import ObjectSpec
from connectors.salesforce.sandbox.soql import parse
from connectors.salesforce.sandbox.soql_sql import Plan, translate
from connectors.salesforce.sandbox.store import Store, format_datetime
from officebridge.sandboxkit import Answer

JSON_TYPE = "application/json;charset=UTF-8"
CSV_TYPE = "text/csv"
INGEST_OPERATIONS = ("insert", "update", "upsert", "delete", "hardDelete")
QUERY_OPERATIONS = ("query", "queryAll")
DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^", "BACKQUOTE": "`"}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}
MAX_UPLOAD_BYTES = 150 * 1024 * 1024 * 3 // 4  # 150 MB once base64-encoded, as the limit is stated
DEFAULT_MAX_RECORDS = 50_000  # what the client asks for by default; Salesforce picks when absent
MAX_JOBS = 2000
COMMIT_ROWS = 200  # rows of an ingest job committed together (as one composite request's records are)
_job_seq = iter(range(1, 10**9))


@dataclass
class Job:
    id: str
    kind: str  # "ingest" | "query"
    operation: str
    object: str
    delimiter: str
    line_ending: str
    version: str
    external_id: str | None = None
    state: str = "Open"
    created: str = ""
    data: str | None = None
    polls_left: int = 1  # non-terminal polls still to answer before the final state shows
    final_state: str = "JobComplete"
    error_message: str | None = None
    processed: int = 0
    failed: int = 0
    successes: list[list[str]] = field(default_factory=list)
    failures: list[list[str]] = field(default_factory=list)
    unprocessed: list[list[str]] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    plan: Plan | None = None
    rowids: list[int] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    pages: dict[str, int] = field(default_factory=dict)  # locator -> position


def _invalid(message: str, status: int = 400, code: str = "INVALIDJOB") -> SfError:
    return SfError(code, message, status=status)


def csv_text(
    rows: list[list[str]], delimiter: str = ",", line_ending: str = "\n", quote_all: bool = False
) -> str:
    out = io.StringIO()
    writer = csv.writer(
        out,
        delimiter=delimiter,
        lineterminator=line_ending,
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
    )
    writer.writerows(rows)
    return out.getvalue()


def _cell(value: Any) -> str:
    """A query value as Bulk API 2.0 writes it: empty for null, lower-case booleans, `Z` datetimes."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(value)
    text = str(value)
    if len(text) == 28 and text.endswith("+0000") and text[10] == "T":
        return text[:-5] + "Z"
    return text


class BulkApi:
    """Serves `jobs/...`; `job_fault` lets a sandbox fault fail a job after N processed rows."""

    def __init__(self, store: Store, writer: Writer, queries: QueryEngine) -> None:
        self.store = store
        self.writer = writer
        self.queries = queries
        self.jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self.job_fault: Callable[[], int | None] = lambda: None

    def clear(self) -> None:
        with self._lock:
            self.jobs.clear()

    def handle(  # noqa: PLR0911 - a dispatch on the route
        self, method: str, parts: list[str], params: dict[str, str], body: bytes, version: str
    ) -> Answer:
        if len(parts) < 2 or parts[1] not in ("ingest", "query"):
            raise SfError("NOT_FOUND", "The requested resource does not exist", status=404)
        kind, rest = parts[1], parts[2:]
        if not rest:
            if method == "POST":
                job = (
                    self._create_ingest(body, version)
                    if kind == "ingest"
                    else self._create_query(body, version)
                )
                return _json(200, self._info(job))
            if method == "GET":
                with self._lock:
                    mine = [self._info(j) for j in self.jobs.values() if j.kind == kind]
                return _json(200, {"done": True, "records": mine, "nextRecordsUrl": None})
            raise SfError(
                "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed. Allowed are GET,POST", status=405
            )
        job = self._job(kind, rest[0])
        if len(rest) == 1:
            if method == "GET":
                self._advance(job)
                return _json(200, self._info(job, full=True))
            if method == "PATCH":
                return _json(200, self._info(self._set_state(job, body)))
            if method == "DELETE":
                return self._delete(job)
            raise SfError("METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed.", status=405)
        sub = rest[1]
        if kind == "ingest" and sub == "batches" and method == "PUT":
            self._upload(job, body)
            return Answer(201, b"", JSON_TYPE)
        if (
            kind == "ingest"
            and method == "GET"
            and sub.lower() in ("successfulresults", "failedresults", "unprocessedrecords")
        ):
            return self._ingest_results(job, sub.lower())
        if kind == "query" and sub == "results" and method == "GET":
            return self._query_results(job, params)
        raise SfError("NOT_FOUND", "The requested resource does not exist", status=404)

    # -- jobs ---------------------------------------------------------------------------------
    def _job(self, kind: str, job_id: str) -> Job:
        with self._lock:
            job = self.jobs.get(normalize_id(job_id) or job_id)
        if job is None or job.kind != kind:
            raise SfError("NOT_FOUND", "The requested resource does not exist", status=404)
        return job

    def _new(self, kind: str, operation: str, obj: str, spec: dict[str, Any], version: str) -> Job:
        delimiter = str(spec.get("columnDelimiter") or "COMMA")
        line_ending = str(spec.get("lineEnding") or "LF")
        if delimiter not in DELIMITERS:
            raise _invalid(f"InvalidJob : Invalid column delimiter: {delimiter}")
        if line_ending not in LINE_ENDINGS:
            raise _invalid(f"InvalidJob : Invalid line ending: {line_ending}")
        job = Job(
            id=make_id("750", next(_job_seq)),
            kind=kind,
            operation=operation,
            object=obj,
            delimiter=delimiter,
            line_ending=line_ending,
            version=version,
            created=format_datetime(datetime.now(UTC)),
        )
        with self._lock:
            self.jobs[job.id] = job
            while len(self.jobs) > MAX_JOBS:
                self.jobs.pop(next(iter(self.jobs)))
        return job

    def _spec_body(self, body: bytes) -> dict[str, Any]:
        try:
            spec = json.loads(body or b"{}")
        except ValueError:
            raise SfError("JSON_PARSER_ERROR", "Unexpected character in the request body: not JSON") from None
        if not isinstance(spec, dict):
            raise SfError("JSON_PARSER_ERROR", "The request body must be a JSON object")
        return spec

    def _create_ingest(self, body: bytes, version: str) -> Job:
        spec = self._spec_body(body)
        operation = str(spec.get("operation") or "")
        if operation not in INGEST_OPERATIONS:
            raise _invalid(f"InvalidJob : Invalid operation: {operation or '(none)'}")
        obj = self._object(str(spec.get("object") or ""))
        if str(spec.get("contentType") or "CSV") != "CSV":
            raise _invalid(f"InvalidJob : Invalid content type: {spec.get('contentType')}")
        external = spec.get("externalIdFieldName")
        if operation == "upsert":
            f = obj.field(str(external or ""))
            if f is None or not (f.external_id or f.name == "Id"):
                raise _invalid(
                    f"InvalidJob : Field name provided, {external} is not an External ID or indexed field "
                    f"for {obj.name}"
                )
            external = f.name
        job = self._new("ingest", operation, obj.name, spec, version)
        job.external_id = str(external) if operation == "upsert" else None
        return job

    def _create_query(self, body: bytes, version: str) -> Job:
        spec = self._spec_body(body)
        operation = str(spec.get("operation") or "query")
        if operation not in QUERY_OPERATIONS:
            raise _invalid(f"InvalidJob : Invalid operation: {operation}")
        soql = str(spec.get("query") or "")
        if not soql.strip():
            raise _invalid("InvalidJob : Query is required")
        parsed = parse(soql)
        if parsed.count_only:
            raise SfError(
                "API_ERROR", "Aggregate Relationships not supported in Bulk Query with CSV content type"
            )
        if parsed.offset is not None:
            raise SfError("API_ERROR", "OFFSET clause is not supported by Bulk API 2.0 query")
        plan = translate(self.store.catalog, parsed, operation == "queryAll")
        if any(c.field.type == "address" for c in plan.columns):
            raise SfError(
                "API_ERROR", "Compound fields are not supported by Bulk API 2.0 query; query the components"
            )
        job = self._new("query", operation, plan.spec.name, spec, version)
        job.plan = plan
        job.columns = [
            f"{c.relationship.relationship_name or c.relationship.name}.{c.field.name}"
            if c.relationship is not None
            else c.field.name
            for c in plan.columns
        ]
        job.rowids = [r[0] for r in self.store.query(plan.ids_sql, plan.ids_params)]
        job.state = "UploadComplete"
        job.processed = len(job.rowids)
        return job

    def _object(self, name: str) -> ObjectSpec:
        spec = self.store.catalog.get(name)
        if spec is None:
            raise _invalid(f"InvalidJob : Invalid object: {name or '(none)'}")
        return spec

    def _advance(self, job: Job) -> None:
        """A poll: a closed job shows InProgress once, then its final state."""
        if job.state in ("UploadComplete", "InProgress"):
            if job.polls_left > 0:
                job.polls_left -= 1
                job.state = "InProgress"
            else:
                job.state = job.final_state

    def _set_state(self, job: Job, body: bytes) -> Job:
        wanted = str(self._spec_body(body).get("state") or "")
        if wanted == "Aborted":
            if job.state in ("JobComplete", "Failed", "Aborted"):
                raise _invalid(f"InvalidJob : Job is in a terminal state: {job.state}", code="INVALIDJOB")
            if job.state == "Open" and job.data is not None:
                job.unprocessed = self._rows(job)[1]
            job.state = "Aborted"
            return job
        if wanted != "UploadComplete" or job.kind != "ingest":
            raise _invalid(f"InvalidJob : Invalid state transition to {wanted or '(none)'}")
        if job.state != "Open":
            raise _invalid(f"InvalidJob : Job is not Open: {job.state}", status=409)
        job.state = "UploadComplete"
        if job.data is None:
            job.final_state, job.error_message = "Failed", "InvalidBatch : Batch has no data"
        else:
            self._process(job)
        return job

    def _delete(self, job: Job) -> Answer:
        if job.state not in ("JobComplete", "Failed", "Aborted", "Open"):
            raise _invalid(f"InvalidJob : Job is not in a deletable state: {job.state}")
        with self._lock:
            self.jobs.pop(job.id, None)
        return Answer(204, b"", JSON_TYPE)

    def _info(self, job: Job, full: bool = False) -> dict[str, Any]:
        info: dict[str, Any] = {
            "id": job.id,
            "operation": job.operation,
            "object": job.object,
            "createdById": "0055g00000AbCdEAAV",
            "createdDate": job.created,
            "systemModstamp": job.created,
            "state": job.state,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(job.version),
            "lineEnding": job.line_ending,
            "columnDelimiter": job.delimiter,
        }
        if job.kind == "ingest":
            info["jobType"] = "V2Ingest"
            if job.external_id:
                info["externalIdFieldName"] = job.external_id
            info["contentUrl"] = f"services/data/v{job.version}/jobs/ingest/{job.id}/batches"
        else:
            info["jobType"] = "V2Query"
        if full:
            done = job.state in ("JobComplete", "Failed", "Aborted")
            info["numberRecordsProcessed"] = job.processed if done or job.kind == "ingest" else 0
            if job.kind == "ingest":
                info["numberRecordsFailed"] = job.failed
            info["retries"] = 0
            info["totalProcessingTime"] = 0
            if job.state == "Failed" and job.error_message:
                info["errorMessage"] = job.error_message
        return info

    # -- ingest -------------------------------------------------------------------------------
    def _upload(self, job: Job, body: bytes) -> None:
        if job.state != "Open":
            raise _invalid(f"InvalidJob : Job is not Open: {job.state}", status=409)
        if job.data is not None:
            raise _invalid("InvalidJob : Data has already been uploaded to this job", status=409)
        if len(body) > MAX_UPLOAD_BYTES:
            raise SfError("INVALIDJOB", "InvalidJob : Upload exceeds the maximum size of 150 MB", status=413)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise _invalid("InvalidBatch : The data is not UTF-8", code="INVALIDBATCH") from None
        if not text.strip():
            raise _invalid("InvalidBatch : Batch has no data", code="INVALIDBATCH")
        job.data = text

    def _rows(self, job: Job) -> tuple[list[str], list[list[str]]]:
        reader = csv.reader(io.StringIO(job.data or "", newline=""), delimiter=DELIMITERS[job.delimiter])
        rows = [r for r in reader if r]
        return (rows[0], rows[1:]) if rows else ([], [])

    def _process(self, job: Job) -> None:
        header, rows = self._rows(job)
        job.header = header
        spec = self._object(job.object)
        if job.operation in ("delete", "hardDelete") and [h.lower() for h in header] != ["id"]:
            job.final_state, job.error_message = (
                "Failed",
                "InvalidBatch : The 'delete' batch must contain only 'Id'",
            )
            job.unprocessed = rows
            return
        fail_after = self.job_fault()
        for start in range(0, len(rows), COMMIT_ROWS):  # one commit per chunk, a savepoint per row
            with self.store.transaction():
                for index in range(start, min(start + COMMIT_ROWS, len(rows))):
                    if fail_after is not None and index >= fail_after:
                        job.final_state = "Failed"
                        job.error_message = (
                            "InternalServerError : the job failed while processing (sandbox fault)"
                        )
                        job.unprocessed = rows[index:]
                        return
                    self._process_row(job, spec, header, rows[index])

    def _process_row(self, job: Job, spec: ObjectSpec, header: list[str], row: list[str]) -> None:
        job.processed += 1
        if len(row) != len(header):
            job.failed += 1
            job.failures.append(["", "INVALID_FIELD:Column count does not match the header:--", *row])
            return
        try:
            with self.store.savepoint():
                rid, created = self._apply(job, spec, dict(zip(header, row, strict=True)))
            job.successes.append([rid, "true" if created else "false", *row])
        except SfError as exc:
            job.failed += 1
            rid = next((v for k, v in zip(header, row, strict=True) if k.lower() == "id"), "")
            fields = ",".join(exc.fields or [])
            job.failures.append([rid, f"{exc.code}:{exc.message}:{fields} --", *row])

    def _apply(self, job: Job, spec: ObjectSpec, cells: dict[str, str]) -> tuple[str, bool]:
        values: dict[str, Any] = {}
        for key, cell in cells.items():
            if cell == "":
                continue  # an empty cell leaves the field as it is
            values[key] = None if cell == "#N/A" else cell
        op = job.operation
        if op == "insert":
            return self.writer.create(spec, values), True
        if op in ("update", "delete", "hardDelete"):
            rid = next((v for k, v in values.items() if k.lower() == "id"), None)
            if not rid:
                raise SfError("MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
            full = normalize_id(str(rid)) or str(rid)
            if op == "update":
                self.writer.update(spec, full, {k: v for k, v in values.items() if k.lower() != "id"})
            else:
                self.writer.delete(spec, full)
            return full, False
        key = job.external_id or "Id"
        value = next((v for k, v in values.items() if k.lower() == key.lower()), None)
        if value in (None, ""):
            raise SfError("MISSING_ARGUMENT", f"{key} not specified", [key])
        rest = {k: v for k, v in values.items() if k.lower() != key.lower()}
        try:
            return self.writer.upsert(spec, key, str(value), rest)
        except MultipleMatches as exc:
            raise SfError(
                "DUPLICATE_EXTERNAL_ID",
                f"{key}: more than one record found for external id field: {exc.ids}",
                [key],
            ) from None

    def _ingest_results(self, job: Job, which: str) -> Answer:
        if which == "unprocessedrecords":
            rows = [job.header, *job.unprocessed] if job.header or job.unprocessed else []
            if not job.header and job.unprocessed and job.data is not None:
                rows = [self._rows(job)[0], *job.unprocessed]
        elif job.state not in ("JobComplete", "Failed", "Aborted"):
            raise _invalid(f"InvalidJob : Job is not complete: {job.state}", status=409)
        elif which == "successfulresults":
            rows = [["sf__Id", "sf__Created", *job.header], *job.successes]
        else:
            rows = [["sf__Id", "sf__Error", *job.header], *job.failures]
        text = csv_text(rows, DELIMITERS[job.delimiter], LINE_ENDINGS[job.line_ending]) if rows else ""
        return Answer(200, text.encode("utf-8"), CSV_TYPE)

    # -- query --------------------------------------------------------------------------------
    def _query_results(self, job: Job, params: dict[str, str]) -> Answer:
        if job.state != "JobComplete":
            raise SfError("JOB_NOT_COMPLETE", f"Job {job.id} is not complete: {job.state}", status=412)
        assert job.plan is not None
        try:
            size = int(params.get("maxRecords") or DEFAULT_MAX_RECORDS)
        except ValueError:
            raise SfError("INVALIDJOB", "maxRecords must be a positive integer") from None
        if size < 1:
            raise SfError("INVALIDJOB", "maxRecords must be a positive integer")
        locator = params.get("locator")
        position = 0
        if locator:
            if locator not in job.pages:
                raise SfError("INVALID_LOCATOR", f"Invalid locator: {locator}", status=400)
            position = job.pages[locator]
        chunk = job.rowids[position : position + size]
        records = self.queries.records(job.plan, chunk, job.version)
        rows = [job.columns] + [[_cell(_flat(r, c)) for c in job.columns] for r in records]
        end = position + len(chunk)
        next_locator = "null"
        if end < len(job.rowids):
            next_locator = secrets.token_urlsafe(9)
            job.pages[next_locator] = end
        text = csv_text(rows, DELIMITERS[job.delimiter], LINE_ENDINGS[job.line_ending], quote_all=True)
        headers = {"Sforce-Locator": next_locator, "Sforce-NumberOfRecords": str(len(chunk))}
        return Answer(200, text.encode("utf-8"), CSV_TYPE, headers=headers)


def _flat(record: dict[str, Any], column: str) -> Any:
    value: Any = record
    for part in column.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _json(status: int, payload: Any) -> Answer:
    return Answer(status, json.dumps(payload).encode("utf-8"), JSON_TYPE)
