"""The reconciliation report: one JSON file for scripts, one self-contained HTML page for people.

Both are written from the same dictionary, into `<report dir>/<sync>/`
(default `$OFFICEBRIDGE_HOME/reports`, beside the quality reports), named
after the stored reconciliation's id. Values of sensitive fields were masked
when the sample was taken; every text passes secret redaction once more here,
and every value is HTML-escaped.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from officebridge import settings
from officebridge.reconcile.findings import KINDS
from officebridge.secrets import redact


def report_folder(base: Path | None, sync: str) -> Path:
    return (base or settings.home() / "reports") / sync


def write_reports(folder: Path, reconciliation_id: int, body: dict[str, Any]) -> dict[str, str]:
    """Write `reconcile-<id>.json` and `.html`; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"reconcile-{reconciliation_id}"
    text = redact(json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False, default=str))
    json_path, html_path = stem.with_suffix(".json"), stem.with_suffix(".html")
    json_path.write_text(text + "\n", encoding="utf-8")
    html_path.write_text(render_html(json.loads(text)), encoding="utf-8")
    return {"json": str(json_path), "html": str(html_path)}


def _e(value: Any) -> str:
    return html.escape(
        value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    )


def _counts_table(counts: dict[str, int]) -> str:
    rows = "".join(f"<tr><th>{_e(k)}</th><td class=n>{int(v)}</td></tr>" for k, v in counts.items())
    return f"<table>{rows}</table>"


def _sample_table(kind: str, entries: list[dict[str, Any]]) -> str:
    columns = sorted(
        {key for entry in entries for key in entry}, key=lambda c: (c not in ("a_id", "b_id"), c)
    )
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{_e(e.get(c, ''))}</td>" for c in columns) + "</tr>" for e in entries
    )
    return f"<h3>{_e(kind)} (first {len(entries)})</h3><table><tr>{head}</tr>{body}</table>"


def render_html(body: dict[str, Any]) -> str:
    found = body.get("found", {})
    parts = [
        "<!doctype html><meta charset=utf-8>",
        f"<title>reconciliation {_e(body.get('id'))} of {_e(body.get('sync'))}</title>",
        "<style>body{font:14px system-ui;margin:2em}table{border-collapse:collapse;margin:.5em 0}"
        "td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;vertical-align:top}.n{text-align:right}"
        "</style>",
        f"<h1>{_e(body.get('sync'))}: {_e(body.get('status'))}</h1>",
        f"<p>{_e(body.get('a'))} → {_e(body.get('b'))} · reconciliation {_e(body.get('id'))} · "
        f"started {_e(body.get('started_at'))}</p>",
        "<h2>Found</h2>",
        _counts_table(found.get("counts", {})),
    ]
    if found.get("drifted_fields"):
        parts += ["<h2>Drifted fields (records)</h2>", _counts_table(found["drifted_fields"])]
    if found.get("reasons"):
        parts += ["<h2>Why</h2>", _counts_table(found["reasons"])]
    for kind in KINDS:
        entries = found.get("samples", {}).get(kind)
        if entries:
            parts.append(_sample_table(kind, entries))
    if body.get("repair"):
        parts += ["<h2>Repair</h2>", f"<pre>{_e(json.dumps(body['repair'], indent=2, default=str))}</pre>"]
    if body.get("remaining"):
        parts += ["<h2>After the repair</h2>", _counts_table(body["remaining"].get("counts", {}))]
    return "\n".join(parts) + "\n"
