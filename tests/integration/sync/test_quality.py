"""Record schemas and batch expectations on a real run: real clients, both sandboxes, a real state store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from officebridge.errors import BatchRejectedError, MappingError
from officebridge.sync.runner import replay
from tests.integration.sync.conftest import ACCOUNTS, Bridge

SYNC = "salesforce_account_to_odoo"
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["ref", "name", "is_company"],
    "properties": {
        "ref": {"type": "string", "pattern": "^001[A-Za-z0-9]{15}$"},
        "name": {"type": "string", "minLength": 1, "maxLength": 60},
        "website": {"type": ["string", "null"], "pattern": "^https://"},
        "customer_rank": {"type": "integer", "minimum": 0},
    },
}


def _mapping(tmp_path: Path, policy: str | None = None, *, schema: bool = True) -> Path:
    """The shipped Account sync plus a record schema and (with a policy) one expectation."""
    text = ACCOUNTS.read_text(encoding="utf-8").replace("schedule:", "# schedule:")
    text = "\n".join(line for line in text.splitlines() if not line.startswith("record_schema:")) + "\n"
    if schema:
        (tmp_path / "partner.json").write_text(json.dumps(SCHEMA), encoding="utf-8")
        text += "\nrecord_schema: partner.json\n"
    if policy:
        text += (
            f"expectations:\n  on_failure: {policy}\n  checks:\n"
            '    - expect_column_values_to_not_match_regex: {column: name, regex: "^TEST "}\n'
            "    - expect_column_values_to_be_unique: {column: ref}\n"
        )
    path = tmp_path / f"{SYNC}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _accounts(b: Bridge, n: int) -> list[dict[str, str]]:
    return b.sf_records(f"SELECT Id, Name, Website FROM Account ORDER BY Id LIMIT {n}")


def test_records_breaking_the_schema_are_dead_lettered_then_replayed(
    bridge: Bridge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OFFICEBRIDGE_HOME", str(tmp_path / "home"))
    bad_site, long_name = _accounts(bridge, 2)
    bridge.sf_client.Account.update(bad_site["Id"], {"Website": "http://plain.example.com"})
    bridge.sf_client.Account.update(long_name["Id"], {"Name": "<b>" + "N" * 70})
    path = _mapping(tmp_path)

    result = bridge.run(path)
    assert result.status == "partial" and (result.counts.created, result.counts.failed) == (298, 2)
    landed = {p["ref"] for p in bridge.synced_partners()}
    assert len(landed) == 298 and not {bad_site["Id"], long_name["Id"]} & landed
    letters = {d.source_id: d for d in bridge.store.dead_letters(SYNC)}
    site = letters[bad_site["Id"]]
    assert (site.stage, site.error_code) == ("validate", "SCHEMA_PATTERN")
    assert site.message == "field 'website': value 'http://plain.example.com' breaks rule pattern='^https://'"
    name = letters[long_name["Id"]]
    assert (
        name.error_code == "SCHEMA_MAXLENGTH"
        and "field 'name'" in name.message
        and "maxLength=60" in name.message
    )

    run = bridge.store.run(result.run_id)
    assert run is not None
    quality = run.detail["quality"]
    assert quality["records"]["checked"] == 300 and quality["records"]["failed"] == 2
    report = Path(quality["report"])
    assert report == tmp_path / "home" / "reports" / SYNC / f"{result.run_id}.html"
    page = report.read_text(encoding="utf-8")
    assert "&lt;b&gt;NNN" in page and "<b>NNN" not in page  # values are escaped

    bridge.sf_client.Account.update(bad_site["Id"], {"Website": "https://fixed.example.com"})
    bridge.sf_client.Account.update(long_name["Id"], {"Name": "Short Name Ltd"})
    [outcome] = replay(bridge.store, list(letters.values()), tmp_path)
    assert (outcome.replayed, outcome.still_failing) == (2, 0)
    assert bridge.store.dead_letters(SYNC) == []
    fixed = {p["ref"]: p for p in bridge.synced_partners()}
    assert fixed[long_name["Id"]]["name"] == "Short Name Ltd" and len(fixed) == 300


def test_quarantine_writes_the_good_rows_only(
    bridge: Bridge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OFFICEBRIDGE_HOME", str(tmp_path / "home"))
    marked = _accounts(bridge, 3)
    for account in marked:
        bridge.sf_client.Account.update(account["Id"], {"Name": f"TEST {account['Name']}"})

    result = bridge.run(_mapping(tmp_path, "quarantine"))
    assert (result.status, result.counts.created, result.counts.failed) == ("partial", 297, 3)
    assert not {a["Id"] for a in marked} & {p["ref"] for p in bridge.synced_partners()}
    letters = bridge.store.dead_letters(SYNC)
    assert {d.source_id for d in letters} == {a["Id"] for a in marked}
    assert {(d.stage, d.error_code) for d in letters} == {("quality", "EXPECTATION_FAILED")}
    assert "expect_column_values_to_not_match_regex(column='name') failed for this record: value 'TEST " in (
        letters[0].message
    )
    assert "(3 of 300 rows in the batch)" in letters[0].message
    run = bridge.store.run(result.run_id)
    assert run is not None
    regex, unique = run.detail["quality"]["expectations"]
    assert (regex["failed_batches"], regex["rows"], regex["unexpected"]) == (1, 300, 3)
    assert all(v.startswith("TEST ") for v in regex["sample"]) and len(regex["sample"]) == 3
    assert (unique["failed_batches"], unique["unexpected"]) == (0, 0)
    assert run.detail["quality"]["quarantined"] == 3
    assert bridge.store.watermark(SYNC) is not None  # dead letters are accounted for: the run moves on


def test_a_batch_breaking_fail_writes_nothing_and_keeps_the_watermark(
    bridge: Bridge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OFFICEBRIDGE_HOME", str(tmp_path / "home"))
    [account] = _accounts(bridge, 1)
    bridge.sf_client.Account.update(account["Id"], {"Name": "TEST account"})
    bridge.odoo.reset_stats()

    with pytest.raises(BatchRejectedError) as caught:
        bridge.run(_mapping(tmp_path, "fail"))
    message = str(caught.value)
    assert "a batch of 300 records was rejected" in message
    assert (
        "expect_column_values_to_not_match_regex(column='name') failed for 1 of 300 rows, e.g. 'TEST account'"
        in (message)
    )
    assert bridge.synced_partners() == []
    assert not any(m.endswith((".create", ".write")) for m in bridge.odoo.stats()["by_method"])
    assert bridge.store.watermark(SYNC) is None
    [run] = bridge.store.runs(SYNC)
    assert run.status == "failed" and run.error is not None and run.error.startswith("BatchRejectedError: ")
    assert run.detail["quality"]["rejected"] == message
    assert Path(run.detail["quality"]["report"]).is_file()


def test_warn_writes_everything_and_reports(
    bridge: Bridge, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OFFICEBRIDGE_HOME", str(tmp_path / "home"))
    [account] = _accounts(bridge, 1)
    bridge.sf_client.Account.update(account["Id"], {"Name": "TEST account"})
    result = bridge.run(_mapping(tmp_path, "warn", schema=False))
    assert (result.status, result.counts.created) == ("succeeded", 300)
    run = bridge.store.run(result.run_id)
    assert run is not None
    assert run.detail["quality"]["expectations"][0]["sample"] == ["TEST account"]
    assert run.detail["quality"]["record_schema"] is None


def test_a_bad_argument_found_only_by_great_expectations_fails_before_anything_is_read(
    bridge: Bridge, tmp_path: Path
) -> None:
    path = _mapping(tmp_path, schema=False)
    path.write_text(
        path.read_text(encoding="utf-8")
        + "expectations:\n  - expect_column_values_to_be_increasing: {column: name, strictly: maybe}\n",
        encoding="utf-8",
    )
    with pytest.raises(MappingError) as caught:
        bridge.run(path)
    [problem] = caught.value.problems
    assert (
        problem.file == str(path)
        and problem.line
        == path.read_text()
        .splitlines()
        .index("  - expect_column_values_to_be_increasing: {column: name, strictly: maybe}")
        + 1
    )
    assert "strictly" in problem.message
    assert bridge.store.runs(SYNC) == [] and bridge.synced_partners() == []
