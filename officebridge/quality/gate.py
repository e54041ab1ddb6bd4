"""The one object a sync run calls to keep bad records and bad batches from being written.

Built once per run. `apply(plans)` runs right after planning and before any
write: records about to be created or updated are checked against the record
schema (a failure turns the plan into a `validate` dead letter), then the
batch of what is left goes through the expectations, whose policy decides:
`fail` raises BatchRejectedError (nothing of the batch is written and the
watermark stays), `quarantine` turns only the offending rows into `quality`
dead letters, `warn` lets everything through and reports. Unchanged, skipped
and deleted records are not checked: they are not being written. With no
`record_schema` and no `expectations` the gate does nothing, and Great
Expectations is never imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from officebridge import settings
from officebridge.errors import BatchRejectedError, RecordError
from officebridge.quality.batch import BatchChecker, CheckResult
from officebridge.quality.records import RecordValidator
from officebridge.quality.report import BatchEntry, QualityLog, masked_sample, write_html
from officebridge.quality.spec import QualitySpec, quality_of
from officebridge.sync.plan import CREATE, FAILED, UPDATE, Planned

_CHECKED = (CREATE, UPDATE)


class QualityGate:
    def __init__(self, sync: str, spec: QualitySpec | None, sensitive: Sequence[str] = ()) -> None:
        self.sync = sync
        self.spec = spec
        self.sensitive = frozenset(sensitive)
        self.records: RecordValidator | None = None
        self.checker: BatchChecker | None = None
        self.log = QualityLog(spec) if spec is not None and spec.active else None
        if spec is not None and spec.schema is not None:
            self.records = RecordValidator(
                spec.schema, sensitive=self.sensitive, source=spec.schema_file or ""
            )
        if spec is not None and spec.expectations:
            self.checker = BatchChecker(spec)  # GX arguments are checked here, before the run reads a record

    @classmethod
    def for_mapping(cls, mapping: Any, sensitive: Sequence[str] = ()) -> QualityGate:
        return cls(mapping.name, quality_of(mapping), sensitive)

    @property
    def active(self) -> bool:
        return self.log is not None

    # --- the checks ------------------------------------------------------------

    def apply(self, plans: list[Planned], *, preview: bool = False) -> None:
        """Check the records `plans` would write; may fail plans or raise BatchRejectedError."""
        if self.log is None:
            return
        todo = [p for p in plans if p.action in _CHECKED]
        key = (len(plans), plans[0].record.id, plans[-1].record.id) if plans else ()
        entry = self.log.entry(key)
        if self.records is not None:
            todo = self._check_records(todo, entry)
        if self.checker is not None and todo:
            self._check_batch(todo, entry, preview)

    def _check_records(self, todo: list[Planned], entry: BatchEntry) -> list[Planned]:
        assert self.records is not None
        entry.checked += len(todo)
        passed = []
        for p in todo:
            violation = self.records.check(p.values or {})
            if violation is None:
                passed.append(p)
                continue
            p.action = FAILED
            code = f"SCHEMA_{violation.rule.upper()}"
            p.error = RecordError(
                violation.message, stage="validate", code=code, field=violation.field, record_id=p.record.id
            )
            entry.failed.append(
                {
                    "source_id": p.record.id,
                    "field": violation.field,
                    "rule": violation.rule,
                    "message": violation.message,
                }
            )
        return passed

    def _check_batch(self, todo: list[Planned], entry: BatchEntry, preview: bool) -> None:
        assert self.checker is not None and self.spec is not None
        columns = sorted({k for p in todo for k in (p.values or {})})
        results = [
            masked_sample(r, self.sensitive)
            for r in self.checker.check([p.values or {} for p in todo], columns)
        ]
        entry.results = results
        failing = [r for r in results if not r.success]
        if not failing or self.spec.on_failure == "warn":
            return
        if self.spec.on_failure == "fail" and not preview:
            entry.rejected = self._rejection(failing, len(todo))
            raise BatchRejectedError(entry.rejected)
        self._quarantine(todo, failing, entry)

    def _quarantine(self, todo: list[Planned], failing: list[CheckResult], entry: BatchEntry) -> None:
        reasons: dict[int, list[tuple[CheckResult, str | None]]] = {}
        for r in failing:
            column = next((v for k, v in r.spec.args if k == "column"), None)
            rows = r.rows_at if r.unexpected is not None and r.error is None else range(len(todo))
            for i in rows:
                if 0 <= i < len(todo):
                    reasons.setdefault(i, []).append((r, column))
        for i, found in sorted(reasons.items()):
            p = todo[i]
            message = "; ".join(self._row_reason(r, column, p, len(todo)) for r, column in found)
            if self.spec is not None and self.spec.on_failure == "fail":  # only in a preview
                message += " (on_failure is fail: a run would reject the whole batch)"
            column = found[0][1]
            p.action = FAILED
            p.error = RecordError(
                message, stage="quality", code="EXPECTATION_FAILED", field=column, record_id=p.record.id
            )
        entry.quarantined += len(reasons)

    def _row_reason(self, r: CheckResult, column: str | None, p: Planned, size: int) -> str:
        if r.error is not None:
            return f"{r.spec.label()} could not be evaluated on this batch: {r.error}"
        if r.unexpected is None:
            observed = f" (observed {r.observed!r})" if r.observed is not None else ""
            return f"{r.spec.label()} failed for the batch as a whole{observed}; all {size} records held back"
        value = (p.values or {}).get(column) if column else None
        shown = "***" if column in self.sensitive and value not in (None, "") else repr(value)
        at = f": value {shown}" if column else ""
        return f"{r.spec.label()} failed for this record{at} ({r.unexpected} of {r.rows} rows in the batch)"

    def _rejection(self, failing: list[CheckResult], size: int) -> str:
        parts = []
        for r in failing:
            if r.error is not None:
                parts.append(f"{r.spec.label()} could not be evaluated: {r.error}")
            elif r.unexpected is None:
                parts.append(f"{r.spec.label()} failed (observed {r.observed!r})")
            else:
                sample = ", ".join(repr(v) for v in r.sample)
                parts.append(f"{r.spec.label()} failed for {r.unexpected} of {r.rows} rows, e.g. {sample}")
        return (
            f"sync {self.sync!r}: a batch of {size} records was rejected (expectations on_failure: fail); "
            f"nothing of it was written: " + "; ".join(parts)
        )

    # --- the end of the run -------------------------------------------------

    def finish(self, run_id: int, status: str, *, write_report: bool = True) -> dict[str, Any]:
        """The run's `detail` entry; also writes $OFFICEBRIDGE_HOME/reports/<sync>/<run_id>.html."""
        if self.log is None:
            return {}
        quality = self.log.detail()
        if write_report:
            try:
                folder = settings.home() / "reports"
                quality["report"] = str(write_html(folder, self.sync, run_id, status, quality))
            except OSError as exc:  # a report we cannot write must not fail a run that wrote its records
                quality["report_error"] = f"could not write the HTML report: {exc.strerror}"
        return {"quality": quality}
