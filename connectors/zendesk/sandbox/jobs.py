"""Asynchronous bulk jobs (`*_many` endpoints) and their `job_statuses/{id}` lifecycle.

A job is `queued` when created, `working` once its start delay has passed and
`completed` (with one result per item) after its run delay; its items are
applied when it completes, at the first request after that moment, so a
client that never polls still sees the data land, and one that polls sees the
statuses in order. Per-item failures are results, never a failed job. Jobs are
kept for a day and only the last 100 are listed (documented limits).
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from connectors.zendesk.sandbox.errors import Invalid
from connectors.zendesk.sandbox.store import Store, iso
from connectors.zendesk.sandbox.writer import Pending, Writer

KEEP = 100
STATUS_WORD = {"create": "Created", "update": "Updated", "delete": "Deleted"}


@dataclass
class Job:
    id: str
    kind: str
    job_type: str
    items: list[Pending]
    created: float
    status: str = "queued"
    results: list[dict[str, Any]] = field(default_factory=list)


class Jobs:
    def __init__(
        self, store: Store, writer: Writer, *, start_after: float = 0.05, run_for: float = 0.2
    ) -> None:
        self.store = store
        self.writer = writer
        self.start_after = start_after
        self.run_for = run_for
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def submit(self, kind: str, job_type: str, items: list[Pending]) -> Job:
        job = Job(secrets.token_hex(16), kind, job_type, items, self.store.now())
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP:
                self._jobs.popitem(last=False)
        return job

    def get(self, job_id: str) -> Job | None:
        self.advance()
        with self._lock:
            return self._jobs.get(job_id)

    def pending(self) -> int:
        with self._lock:
            return sum(1 for j in self._jobs.values() if j.status != "completed")

    def advance(self) -> None:
        """Move every job along by the clock; complete (apply) those whose time has come."""
        now = self.store.now()
        with self._lock:
            due = [j for j in self._jobs.values() if j.status != "completed"]
        for job in due:
            if now >= job.created + self.start_after + self.run_for:
                self._run(job)
            elif now >= job.created + self.start_after:
                job.status = "working"

    def _run(self, job: Job) -> None:
        with self._lock:
            if job.status == "completed":
                return
            job.status = "completed"  # claimed: no other thread runs it again
        job.results = [self._result(job, index, item) for index, item in enumerate(job.items)]

    def _result(self, job: Job, index: int, item: Pending) -> dict[str, Any]:
        action = "update" if item.action == "update" else "delete" if item.action == "delete" else "create"
        try:
            outcome = self.writer.apply(job.kind, item)
        except Invalid as problem:
            return {"index": index, "id": item.data.get("id"), "success": False, "status": "Failed",
                    "error": problem.error, "details": problem.description, "action": action}  # fmt: skip
        except LookupError:
            return {"index": index, "id": item.data.get("id"), "success": False, "status": "Failed",
                    "error": "RecordNotFound", "details": "Not found", "action": action}  # fmt: skip
        if item.action == "create_or_update":
            action = "create" if outcome.created else "update"
        result = {"index": index, "id": outcome.record["id"], "success": True, "action": action,
                  "status": STATUS_WORD[action]}  # fmt: skip
        for key in ("external_id", "email"):
            if outcome.record.get(key) is not None and job.kind != "tickets":
                result[key] = outcome.record[key]
        return result

    def body(self, job: Job, host: str) -> dict[str, Any]:
        done = job.status == "completed"
        total = len(job.items)
        return {
            "id": job.id,
            "url": f"https://{host}/api/v2/job_statuses/{job.id}.json",
            "job_type": job.job_type,
            "total": total,
            "progress": total if done else (total // 2 if job.status == "working" else 0),
            "status": job.status,
            "message": "Completed at " + iso(self.store.now()) if done else None,
            "results": job.results if done else None,
        }
