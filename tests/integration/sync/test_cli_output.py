"""The CLI's output for people and for scripts (in-process CLI against the real sandboxes)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from officebridge.cli import main
from officebridge.cli.output import emit
from tests.integration.sync.conftest import ACCOUNTS, Bridge

SYNC = "salesforce_account_to_odoo"


def _cli(url: str, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--state-url", url, *args], input=stdin, env={"COLUMNS": "80"})
    return result.exit_code, result.output


def test_json_plain_rows_and_one_line_per_dead_letter(bridge: Bridge, sqlite_state_url: str) -> None:
    name = bridge.sf_records("SELECT Name FROM Account ORDER BY Id LIMIT 1")[0]["Name"].strip()
    bridge.odoo.add_fault("record_error", field="name", value=name, message="refused by a rule")

    code, output = _cli(sqlite_state_url, "preview", str(ACCOUNTS), "-n", "5", "--json")
    assert code == 0, output
    preview = json.loads(output)
    assert preview["sync"] == SYNC and len(preview["records"]) == 5

    code, output = _cli(sqlite_state_url, "run", str(ACCOUNTS), "--json")
    assert code == 3, output  # finished with dead letters
    first, *rest = output.splitlines()
    result = json.loads(first)
    assert result["counts"]["created"] >= 298 and result["counts"]["failed"] >= 1
    hint = next(line for line in rest if "dead-letters list" in line)
    assert hint.strip() == f"officebridge dead-letters list --sync {SYNC}"  # whole, on its own line

    code, output = _cli(sqlite_state_url, "status", "--json")
    [row] = json.loads(output)
    assert row["sync"] == SYNC and row["counts"]["read"] == 300 and row["dead letters"] >= 1

    code, output = _cli(sqlite_state_url, "status", SYNC)  # piped: a header and tab-separated rows
    header, line = output.splitlines()[:2]
    assert header.split("\t")[:3] == ["run", "status", "trigger"]
    assert "read 300" in line.split("\t")[5] and "partial" in line

    code, output = _cli(sqlite_state_url, "dead-letters", "list")
    lines = output.splitlines()
    letters = bridge.store.dead_letters(SYNC)
    assert len(lines) == 1 + len(letters)  # one line per letter
    assert all("refused by a rule" in line for line in lines[1:])
    code, output = _cli(sqlite_state_url, "dead-letters", "list", "--json")
    assert {d["id"] for d in json.loads(output)} == {d.id for d in letters}


def test_state_reset_asks_first_then_forgets_links_and_watermark(
    bridge: Bridge, sqlite_state_url: str
) -> None:
    bridge.run(ACCOUNTS)
    store = bridge.store
    assert store.watermark(SYNC) is not None
    code, output = _cli(sqlite_state_url, "state", "reset", SYNC, stdin="n\n")
    assert code == 1 and "Aborted" in output and store.watermark(SYNC) is not None
    code, output = _cli(sqlite_state_url, "state", "reset", SYNC, stdin="y\n")
    assert code == 0 and "forgot 300 link(s) and the watermark" in output, output
    assert store.watermark(SYNC) is None and store.links(SYNC, ["001"]) == {}
    code, output = _cli(sqlite_state_url, "state", "reset", "nosuchsync", "--yes")
    assert code == 1 and "nosuchsync" in output


def test_counts_are_never_cut_at_80_columns() -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=80, force_terminal=True, color_system=None)
    row = {"run": 12345, "status": "partial", "trigger": "airflow", "started": "2026-12-01 22:00:00",
           "seconds": "1234.5", "changes": "read 741, created 700, updated 40, failed 1",
           "quality": "", "error": "refused by a rule " * 6}  # fmt: skip
    emit(console, [row], list(row), numeric=("run", "seconds"))
    text = buffer.getvalue()
    for needle in ("12345", "1234.5", "741", "2026-12-01"):
        assert needle in text, text
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 80


def test_sandbox_seed_resets_the_state_of_the_syncs_on_it(
    bridge: Bridge, sqlite_state_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bridge.run(ACCOUNTS)
    monkeypatch.setenv("OFFICEBRIDGE_HOME", str(tmp_path / "home"))  # sandboxes' data files of their own
    code, output = _cli(sqlite_state_url, "sandbox", "seed", "--accounts", "3")
    assert code == 0, output
    assert f"state reset: {SYNC}: forgot 300 link(s) and the watermark" in output
    assert bridge.store.watermark(SYNC) is None
