"""`officebridge run` on a two-way file, `conflicts list` and `conflicts resolve`, as typed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from officebridge.cli import main
from officebridge.errors import ConfigError
from officebridge.pair.resolve import resolve
from tests.unit.pair.conftest import Systems


def _cli(systems: Systems, *args: str) -> Any:
    url = str(systems.store.url.render_as_string(hide_password=False))
    return CliRunner().invoke(main, ["--state-url", url, *args], catch_exceptions=False)


def _conflict(systems: Systems) -> tuple[str, str, str, str]:
    assert _cli(systems, "run", str(systems.file), "--overlap", "0").exit_code == 0
    crm_id, erp_id, _was, mine, theirs = systems.edit_rating_on_both_sides()
    return crm_id, erp_id, mine, theirs


def test_a_conflict_is_listed_and_resolved_by_taking_a_side(systems: Systems) -> None:
    crm_id, erp_id, _mine, theirs = _conflict(systems)
    ran = _cli(systems, "run", str(systems.file), "--overlap", "0")
    assert ran.exit_code == 3, ran.output  # a run that leaves a conflict open says so
    assert "conflicts list --pair accounts_pair" in ran.output
    listed = _cli(systems, "conflicts", "list", "--json")
    [row] = json.loads(listed.output)
    assert (row["a_id"], row["b_id"]) == (crm_id, erp_id)
    assert row["fields"]["rating"]["b"] == theirs
    done = _cli(
        systems, "conflicts", "resolve", str(row["id"]), "--take", "b", "--mappings", str(systems.file.parent)
    )
    assert done.exit_code == 0, done.output
    assert "wrote a" in done.output
    assert systems.live(systems.crm)[crm_id]["rating"] == theirs == systems.partner(crm_id)["rating"]
    assert _cli(systems, "conflicts", "list", "--json").output.strip() == "[]"
    [closed] = [d for d in systems.store.dead_letters("accounts_pair", status=None) if d.stage == "conflict"]
    assert closed.status == "replayed" and closed.payload["resolution"]["took"] == "b"
    quiet = _cli(systems, "run", str(systems.file), "--overlap", "0", "--json")
    assert quiet.exit_code == 0
    runs = json.loads(quiet.output)["runs"]
    assert (
        sum(r["counts"]["updated"] + r["counts"]["created"] for r in runs) == 0
    )  # the resolution is no edit


def test_a_conflict_is_resolved_with_a_value_written_to_both_sides(systems: Systems) -> None:
    crm_id, _erp_id, _mine, _theirs = _conflict(systems)
    _cli(systems, "run", str(systems.file), "--overlap", "0")
    [row] = json.loads(_cli(systems, "conflicts", "list", "--json").output)
    mappings = str(systems.file.parent)
    wrong = _cli(
        systems, "conflicts", "resolve", str(row["id"]), "--value", "city=Paris", "--mappings", mappings
    )
    assert wrong.exit_code == 1 and "is about rating, not city" in wrong.output
    done = _cli(
        systems, "conflicts", "resolve", str(row["id"]), "--value", "rating=Warm", "--mappings", mappings
    )
    assert done.exit_code == 0, done.output
    assert systems.live(systems.crm)[crm_id]["rating"] == "Warm" == systems.partner(crm_id)["rating"]
    again = _cli(systems, "conflicts", "resolve", str(row["id"]), "--take", "a", "--mappings", mappings)
    assert again.exit_code == 1 and "already resolved" in again.output


def test_the_resolution_records_who_decided_and_a_second_one_is_refused(systems: Systems) -> None:
    _conflict(systems)
    _cli(systems, "run", str(systems.file), "--overlap", "0")
    [row] = json.loads(_cli(systems, "conflicts", "list", "--json").output)
    done = resolve(systems.store, row["id"], take="a", mappings_dir=systems.file.parent, by="ops.lead")
    assert done.took == "a"
    closed = systems.store.dead_letter(row["id"])
    assert closed is not None and closed.payload["resolution"]["by"] == "ops.lead"
    with pytest.raises(ConfigError, match="already resolved"):
        resolve(systems.store, row["id"], take="b", mappings_dir=systems.file.parent)


def test_a_conflict_is_not_replayed_it_says_how_to_resolve_it(systems: Systems) -> None:
    _conflict(systems)
    _cli(systems, "run", str(systems.file), "--overlap", "0")
    [row] = json.loads(_cli(systems, "conflicts", "list", "--json").output)
    replayed = _cli(systems, "dead-letters", "replay", str(row["id"]), "--mappings", str(systems.file.parent))
    assert replayed.exit_code == 1
    assert "resolved, not replayed" in replayed.output and "conflicts resolve" in replayed.output
    assert systems.store.dead_letter(row["id"]).status == "open"  # type: ignore[union-attr]
