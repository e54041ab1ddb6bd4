"""`validate` against the real sandboxes never says ok when it could not check (in-process CLI)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from officebridge.cli import main
from officebridge.mapping import load_mapping
from tests.integration.sync.conftest import ACCOUNTS, MAPPINGS, Bridge


def _validate(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["validate", *args], env={"COLUMNS": "200"})
    return result.exit_code, result.output


def _copy(tmp_path: Path, old: str, new: str) -> Path:
    text = ACCOUNTS.read_text()
    assert old in text
    path = tmp_path / "salesforce_account_to_odoo.yaml"
    path.write_text(text.replace(old, new))
    return path


def test_the_shipped_mappings_check_out_against_both_systems(bridge: Bridge) -> None:
    """Every shipped mapping between the two systems this fixture runs (others need their own)."""
    both = [
        str(path)
        for path in sorted(MAPPINGS.glob("*.yaml"))
        if {(m := load_mapping(path)).source.system, m.target.system} <= {"salesforce", "odoo"}
    ]
    assert len(both) >= 3
    code, output = _validate(*both)
    assert code == 0, output
    assert output.count("ok   ") == len(both) and "not checked" not in output


@pytest.mark.parametrize(
    ("old", "new", "hint"),
    [
        ("object: res.partner", "object: res.partners", "did you mean 'res.partner'?"),  # target
        ("object: res.country", "object: res.countries", "did you mean 'res.country'?"),  # lookup
        ("object: Account", "object: Accounts", "did you mean 'Account'?"),  # source
    ],
)
def test_an_object_that_does_not_exist_is_a_mapping_error_with_line_and_a_did_you_mean(
    bridge: Bridge, tmp_path: Path, old: str, new: str, hint: str
) -> None:
    path = _copy(tmp_path, old, new)
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if new in text)
    code, output = _validate(str(path))
    assert code == 1, output
    assert f"{path}:{line}:" in output and "unknown object" in output and hint in output, output
    assert "ok   " not in output


def test_an_undefined_connection_or_a_refused_login_is_not_ok(
    bridge: Bridge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _copy(tmp_path, "connection: odoo_default", "connection: odoo_nowhere")
    code, output = _validate(str(path))
    assert code == 1 and "odoo_nowhere" in output and "ok   " not in output, output
    assert "--offline" in output
    code, output = _validate("--offline", str(path))
    assert code == 0 and "offline" in output, output

    wrong = json.dumps({**json.loads(bridge.odoo.connection_value()), "password": "wrong-password-123"})
    monkeypatch.setenv("AIRFLOW_CONN_ODOO_DEFAULT", wrong)
    code, output = _validate(str(ACCOUNTS))
    assert code == 1 and "AuthenticationError" in output and "wrong-password-123" not in output, output
    assert "password or API key" in output or "ok   " not in output
