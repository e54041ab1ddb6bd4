"""`officebridge run` at a terminal: a bar with the source's total, a percentage and an ETA, and counters
that are never cut at 80 columns. In-process CLI (CliRunner, a fake 80-column terminal through rich's
TTY_COMPATIBLE and COLUMNS) against the real sandboxes."""

from __future__ import annotations

import re

from click.testing import CliRunner

from officebridge.cli import main
from tests.integration.sync.conftest import ACCOUNTS, Bridge

TERMINAL_80 = {"COLUMNS": "80", "LINES": "25", "TTY_COMPATIBLE": "1", "TERM": "xterm-256color"}
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _frames(stderr: str) -> list[str]:
    """Each line the terminal was sent, without colour and cursor codes."""
    return [line for chunk in ANSI.sub("", stderr).split("\r") for line in chunk.splitlines() if line.strip()]


def test_run_at_a_terminal_shows_total_percentage_eta_and_whole_counts(
    bridge: Bridge, sqlite_state_url: str
) -> None:
    expected = len(bridge.sf_records("SELECT Id FROM Account"))  # what the source holds, asked on its own
    args = ["--state-url", sqlite_state_url, "run", str(ACCOUNTS), "--read-batch", "50"]
    result = CliRunner().invoke(main, args, env=TERMINAL_80)
    assert result.exit_code == 0, result.output + result.stderr
    frames = _frames(result.stderr)
    bars = [f for f in frames if f"/{expected}" in f]
    assert bars, (expected, frames[:20], result.stderr[:3000])
    assert any(re.search(rf"\b50/{expected}\b.*\b\d+%.*ETA", f) for f in bars), bars[:5]
    assert any(f"{expected}/{expected}" in f and "100%" in f for f in bars), bars[-5:]
    assert all(len(f) <= 80 for f in frames), [f for f in frames if len(f) > 80]
    counters = [i for i, f in enumerate(frames) if "read=" in f]
    assert counters, frames
    for i in counters:  # the counters may wrap onto a second line, between words, never inside one
        assert re.search(r"\bfailed=\d+\b", " ".join(frames[i : i + 2])), frames[i : i + 2]
    assert not any(re.search(r"failed=?$|fai$|…", f) for f in frames), frames


def test_run_piped_shows_no_bar(bridge: Bridge, sqlite_state_url: str) -> None:
    args = ["--state-url", sqlite_state_url, "run", str(ACCOUNTS)]
    result = CliRunner().invoke(main, args, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "ETA" not in result.stderr and "%" not in result.stderr
