"""SOQL relative date literals (TODAY, YESTERDAY, TOMORROW, LAST_N_DAYS:n, NEXT_N_DAYS:n) as day ranges.

A sync filter like `LastModifiedDate = LAST_N_DAYS:7` names a range of whole days, not
an instant, so each literal becomes a half-open range [first day, day after the last)
in the running user's time zone (the demo user's is UTC). The comparison operators then
act on the range the way Salesforce documents: `=` means inside it, `>` after its end,
`<` before its start, `>=` from its start, `<=` up to its end.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


def day_range(literal: str, today: date | None = None) -> tuple[date, date]:
    """(first day, day after the last day) of a literal; raises ValueError for unknown ones."""
    today = today or datetime.now(UTC).date()
    word, _, n_text = literal.upper().partition(":")
    one = timedelta(days=1)
    if word == "TODAY" and not n_text:
        return today, today + one
    if word == "YESTERDAY" and not n_text:
        return today - one, today
    if word == "TOMORROW" and not n_text:
        return today + one, today + 2 * one
    if word in ("LAST_N_DAYS", "NEXT_N_DAYS") and n_text.isdigit():
        n = timedelta(days=int(n_text))
        # LAST_N_DAYS:n runs from n days ago up to the end of today; NEXT_N_DAYS:n starts tomorrow
        return (today - n, today + one) if word == "LAST_N_DAYS" else (today + one, today + one + n)
    raise ValueError(literal)


def range_condition(column_sql: str, op: str, lo: str, hi: str) -> tuple[str, list[str]]:
    """SQL for `column <op> <range>`, with stored-form bounds (lo inclusive, hi exclusive)."""
    if op == "=":
        return f"({column_sql} >= ? AND {column_sql} < ?)", [lo, hi]
    if op == "!=":
        return f"({column_sql} IS NULL OR {column_sql} < ? OR {column_sql} >= ?)", [lo, hi]
    if op == "<":
        return f"{column_sql} < ?", [lo]
    if op == "<=":
        return f"{column_sql} < ?", [hi]
    if op == ">":
        return f"{column_sql} >= ?", [hi]
    if op == ">=":
        return f"{column_sql} >= ?", [lo]
    raise ValueError(op)
