"""Rows out: a table on a terminal, plain tab-separated rows when piped, JSON for scripts.

A table is for reading; a pipe is for grep, cut and awk, so piped output is
one header line and one line per row, fields separated by a tab, never
wrapped or truncated. `--json` prints the same rows as a JSON list.
Numbers are never cut: on a terminal they get their full width and only the
free-text columns fold.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from officebridge.secrets import redact


def emit(
    console: Console,
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    *,
    title: str = "",
    as_json: bool = False,
    numeric: Sequence[str] = (),
) -> None:
    if as_json:
        console.print(redact(json.dumps(list(rows), default=str, ensure_ascii=False)), markup=False,
                      highlight=False, soft_wrap=True)  # fmt: skip
        return
    if not console.is_terminal:
        lines = ["\t".join(columns)]
        lines += ["\t".join(_plain(row.get(c)) for c in columns) for row in rows]
        console.file.write("\n".join(lines) + "\n")  # as is: rich would expand the tabs
        return
    table = Table(title=title or None, title_justify="left", box=None, pad_edge=False, header_style="bold")
    for c in columns:
        if c in numeric:
            table.add_column(c, justify="right", no_wrap=True, min_width=len(c))
        else:
            table.add_column(c, overflow="fold")
    for row in rows:
        table.add_row(*(_plain(row.get(c)) for c in columns))
    console.print(table)


def _plain(value: Any) -> str:
    if value is None:
        return ""
    text = (
        value
        if isinstance(value, str)
        else json.dumps(value, default=str)
        if isinstance(value, dict | list)
        else str(value)
    )
    return redact(text).replace("\t", " ").replace("\n", " ")
