"""What the quality checks of one run found: kept while the run goes, stored with it, shown as HTML.

The run's `detail` JSON gets a `quality` entry (counts, which expectation
failed on how many rows, a few unexpected values, the HTML report's path), so
`officebridge status SYNC` and the Syncs view can show it without another
store. Values of sensitive fields are masked before they are kept anywhere.
The HTML page is written by hand (every value escaped): it is one small
self-contained file an ops engineer can open from the reports folder, and it
needs no GX import or Data Docs site.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from officebridge.quality.batch import SAMPLE, CheckResult
from officebridge.quality.spec import ExpectationSpec, QualitySpec
from officebridge.secrets import MASK

MAX_RECORD_SAMPLES = 20


@dataclass(slots=True)
class ExpectationTotals:
    spec: ExpectationSpec
    batches: int = 0
    failed_batches: int = 0
    rows: int = 0
    unexpected: int = 0
    sample: list[Any] = field(default_factory=list)
    observed: Any = None
    errors: list[str] = field(default_factory=list)

    def add(self, result: CheckResult) -> None:
        self.batches += 1
        self.rows += result.rows
        self.failed_batches += 0 if result.success else 1
        self.unexpected += result.unexpected or 0
        if result.observed is not None:
            self.observed = result.observed
        for value in result.sample:
            if len(self.sample) < SAMPLE and value not in self.sample:
                self.sample.append(value)
        if result.error and result.error not in self.errors:
            self.errors.append(result.error)

    def as_dict(self) -> dict[str, Any]:
        return {
            "expectation": self.spec.name,
            "label": self.spec.label(),
            "kwargs": self.spec.kwargs,
            "batches": self.batches,
            "failed_batches": self.failed_batches,
            "rows": self.rows,
            "unexpected": self.unexpected,
            "sample": self.sample,
            "observed": self.observed,
            "errors": self.errors,
        }


def masked_sample(result: CheckResult, sensitive: frozenset[str]) -> CheckResult:
    columns = {v for k, v in result.spec.args if k in ("column", "column_A", "column_B")}
    if columns & sensitive:
        result.sample = [MASK if v not in (None, "") else v for v in result.sample]
    return result


@dataclass(slots=True)
class BatchEntry:
    checked: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)  # {source_id, field, rule, message}
    results: list[CheckResult] = field(default_factory=list)
    quarantined: int = 0
    rejected: str | None = None


class QualityLog:
    """Per-batch entries of one run; a batch planned again (after a retried write) replaces its entry."""

    def __init__(self, spec: QualitySpec) -> None:
        self.spec = spec
        self.batches: dict[tuple[Any, ...], BatchEntry] = {}

    def entry(self, key: tuple[Any, ...]) -> BatchEntry:
        self.batches[key] = BatchEntry()
        return self.batches[key]

    def detail(self) -> dict[str, Any]:
        totals = [ExpectationTotals(s) for s in self.spec.expectations]
        failed: list[dict[str, Any]] = []
        checked = quarantined = 0
        rejected = None
        for entry in self.batches.values():
            checked += entry.checked
            failed.extend(entry.failed)
            quarantined += entry.quarantined
            rejected = rejected or entry.rejected
            for total, result in zip(totals, entry.results, strict=False):
                total.add(result)
        return {
            "record_schema": self.spec.schema_file or ("inline" if self.spec.schema is not None else None),
            "on_failure": self.spec.on_failure if self.spec.expectations else None,
            "records": {"checked": checked, "failed": len(failed), "sample": failed[:MAX_RECORD_SAMPLES]},
            "expectations": [t.as_dict() for t in totals],
            "quarantined": quarantined,
            "rejected": rejected,
        }


def summary(quality: dict[str, Any] | None) -> str:
    """One line for a table cell: what the checks of a run stopped."""
    if not quality:
        return ""
    parts = []
    records = quality.get("records") or {}
    if quality.get("record_schema"):
        parts.append(f"schema {records.get('failed', 0)}/{records.get('checked', 0)} failed")
    exps = quality.get("expectations") or []
    if exps:
        bad = sum(1 for e in exps if e.get("failed_batches"))
        parts.append(f"expectations {bad}/{len(exps)} failed ({quality.get('on_failure')})")
    if quality.get("quarantined"):
        parts.append(f"{quality['quarantined']} quarantined")
    if quality.get("rejected"):
        parts.append("batch rejected")
    return "; ".join(parts)


# --- HTML -------------------------------------------------------------------------

_STYLE = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}th{background:#f3f3f3}
.ok{color:#176b2c}.bad{color:#a4161a;font-weight:600}.warn{color:#8a5a00}code{font-size:90%}"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _state(e: dict[str, Any], policy: str | None) -> str:
    if e.get("errors"):
        return '<span class="bad">error</span>'
    if not e.get("failed_batches"):
        return '<span class="ok">passed</span>' if e.get("batches") else "not run (nothing to write)"
    word = {
        "fail": "failed: batch rejected",
        "quarantine": "failed: rows quarantined",
        "warn": "failed: warned",
    }
    return (
        f'<span class="{"warn" if policy == "warn" else "bad"}">{_e(word.get(policy or "", "failed"))}</span>'
    )


def render_html(sync: str, run_id: int, status: str, quality: dict[str, Any]) -> str:
    records = quality.get("records") or {}
    policy = quality.get("on_failure")
    rows = []
    for e in quality.get("expectations") or []:
        sample = ", ".join(_e(repr(v)) for v in e.get("sample") or [])
        observed = "" if e.get("observed") is None else _e(repr(e["observed"]))
        errors = "<br>".join(_e(x) for x in e.get("errors") or [])
        rows.append(
            f"<tr><td><code>{_e(e.get('label'))}</code></td><td>{_state(e, policy)}</td>"
            f"<td>{e.get('batches', 0)}</td><td>{e.get('rows', 0)}</td><td>{e.get('unexpected', 0)}</td>"
            f"<td>{sample}</td><td>{observed}</td><td>{errors}</td></tr>"
        )
    failures = "".join(
        f"<tr><td>{_e(f.get('source_id'))}</td><td>{_e(f.get('field') or '')}</td>"
        f"<td>{_e(f.get('rule'))}</td><td>{_e(f.get('message'))}</td></tr>"
        for f in records.get("sample") or []
    )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    rejected = quality.get("rejected")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{_e(sync)} run {run_id}: data quality</title>
<style>{_STYLE}</style></head><body>
<h1>Data quality of {_e(sync)}, run {run_id}</h1>
<p>Run status: <b>{_e(status)}</b>. Written {_e(stamp)}. {_e(summary(quality))}</p>
{f'<p class="bad">Rejected: {_e(rejected)}</p>' if rejected else ""}
<h2>Record schema</h2>
<p>Schema: <code>{_e(quality.get("record_schema") or "none")}</code>. Records checked: {
        records.get("checked", 0)
    },
failed (dead letters at stage <code>validate</code>): {records.get("failed", 0)}.</p>
{
        f"<table><tr><th>source id</th><th>field</th><th>rule</th><th>message</th></tr>{failures}</table>"
        if failures
        else ""
    }
<h2>Batch expectations</h2>
<p>On failure: <code>{_e(policy or "n/a")}</code>. Quarantined rows (dead letters at stage
<code>quality</code>): {quality.get("quarantined", 0)}.</p>
<table><tr><th>expectation</th><th>outcome</th><th>batches</th><th>rows</th><th>unexpected</th>
<th>sample of unexpected values</th><th>observed</th><th>errors</th></tr>{"".join(rows)}</table>
</body></html>
"""


def write_html(folder: Path, sync: str, run_id: int, status: str, quality: dict[str, Any]) -> Path:
    path = folder / sync / f"{run_id}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(render_html(sync, run_id, status, quality), encoding="utf-8")
    tmp.replace(path)
    return path
