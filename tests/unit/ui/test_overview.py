"""What the Syncs view shows, built from real mapping files and a real SQLite state store."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from officebridge.secrets import Secret
from officebridge.state import NewDeadLetter, StateStore
from officebridge.state.runs import add_counts
from officebridge.ui import overview

SHIPPED = Path(__file__).resolve().parents[3] / "mappings"
ACCOUNTS = "salesforce_account_to_odoo"


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "mappings"
    folder.mkdir()
    shutil.copy(SHIPPED / f"{ACCOUNTS}.yaml", folder)
    (folder / "broken.yaml").write_text("name: broken\nsource: [unclosed\n")
    return folder


def test_a_broken_mapping_is_a_row_with_its_problem_not_an_error(tmp_path: Path) -> None:
    infos = {i.name: i for i in overview.MappingCatalogue(_folder(tmp_path)).all()}
    assert set(infos) == {ACCOUNTS, "broken"}
    assert infos["broken"].problem and "broken.yaml" in infos["broken"].problem
    good = infos[ACCOUNTS]
    assert good.problem is None
    assert (good.source, good.target) == (
        overview.Endpoint("salesforce", "Account", "salesforce_default"),
        overview.Endpoint("odoo", "res.partner", "odoo_default"),
    )


def test_a_changed_file_is_read_again(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    catalogue = overview.MappingCatalogue(folder)
    assert catalogue.by_name()["broken"].problem
    fixed = (folder / f"{ACCOUNTS}.yaml").read_text().replace(f"name: {ACCOUNTS}", "name: fixed_copy", 1)
    (folder / "broken.yaml").write_text(fixed)
    os.utime(folder / "broken.yaml", (1, 1))  # a different mtime, whatever the clock resolution
    assert catalogue.by_name()["fixed_copy"].problem is None


def test_syncs_merge_mapping_files_and_store_and_link_airflow_runs(tmp_path: Path) -> None:
    secret = Secret("hunter2-very-secret")
    with StateStore.open(f"sqlite:///{tmp_path / 'state.db'}") as store:
        run = store.start_run(
            ACCOUNTS,
            trigger="airflow",
            detail={"airflow_dag_id": f"sync__{ACCOUNTS}", "airflow_run_id": "manual__1"},
        )
        store.commit_batch(
            ACCOUNTS,
            run,
            counts={"read": 3, "created": 2, "failed": 1},
            dead_letters=[
                NewDeadLetter("001A", "write", "ValidationError", "nope", {"values": {"note": "x"}})
            ],
        )
        store.finish_run(run, status="partial")
        orphan = store.start_run("retired_sync")
        store.finish_run(orphan, status="succeeded")

        views = {v.name: v for v in overview.syncs(store, overview.MappingCatalogue(_folder(tmp_path)))}
        assert set(views) == {ACCOUNTS, "broken", "retired_sync"}
        assert views["retired_sync"].mapping is None  # state without a mapping file still shows
        account = views[ACCOUNTS]
        assert account.dag_id == f"sync__{ACCOUNTS}" and account.open_dead_letters == 1
        assert account.last_run is not None
        assert (account.last_run.status, account.last_run.counts["failed"]) == ("partial", 1)
        assert (account.last_run.airflow_dag_id, account.last_run.airflow_run_id) == (
            f"sync__{ACCOUNTS}",
            "manual__1",
        )
        assert views["retired_sync"].last_run.airflow_run_id is None  # type: ignore[union-attr]

        # a secret the serving process knows is masked even if it reached the store unmasked
        [letter] = store.dead_letters(ACCOUNTS)
        shown = overview.letter_view(
            letter.__class__(
                **{
                    **{f: getattr(letter, f) for f in letter.__slots__},
                    "message": f"refused: {secret.reveal()}",
                    "payload": {"values": {"note": secret.reveal()}},
                }
            )
        )
        assert secret.reveal() not in shown.message + overview.payload_text(shown)
        assert "***" in shown.message


def _run(store: StateStore, sync: str, status: str, dag_run: str | None, counts: dict[str, int], *,
         error: str | None = None) -> int:  # fmt: skip
    detail = {"airflow_dag_id": f"sync__{sync}", "airflow_run_id": dag_run} if dag_run else {}
    run_id = store.start_run(sync, trigger="airflow" if dag_run else "cli", detail=detail)
    store.finish_run(run_id, status=status, error=error, detail={})
    if counts:  # the counts a batch commit would have added (the store's own SQL, no engine needed)
        with store.engine.begin() as conn:
            add_counts(conn, run_id, counts)
    return run_id


def test_a_partitioned_load_is_one_run_and_last_run_is_not_the_last_partition(tmp_path: Path) -> None:
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    for i, n in enumerate((40, 0, 0, 0)):
        _run(store, ACCOUNTS, "succeeded", "manual__1", {"read": n, "created": n} if i == 0 else {})
    view = overview.sync_detail(store, overview.MappingCatalogue(_folder(tmp_path)), ACCOUNTS)
    assert view is not None and view.last_run is not None
    assert len(view.runs) == 1 and view.runs[0].partitions == 4
    assert view.last_run.counts["read"] == 40 and view.last_run.status == "succeeded"


def test_unhealthy_syncs_come_first_and_a_broken_mapping_has_no_green_badge_and_every_problem(
    tmp_path: Path,
) -> None:
    folder = _folder(tmp_path)
    (folder / "broken.yaml").write_text(
        "name: broken\nversion: 1\nsource: {system: salesforce, object: Account}\n"
        "target: {system: odoo, object: res.partner, match: ref, mode: sideways}\n"
        "fields:\n  ref: {copy: Id, missing: error}\n  name: {copy: Name, transforms: [shout]}\n"
    )
    store = StateStore.open(f"sqlite:///{tmp_path / 'state.db'}")
    _run(store, "broken", "succeeded", None, {"read": 5})
    _run(store, ACCOUNTS, "succeeded", "manual__1", {"read": 3})
    _run(store, ACCOUNTS, "failed", "manual__2", {}, error="check_connections: AuthenticationError: refused")
    _run(store, "quiet", "succeeded", None, {"read": 1})
    views = overview.syncs(store, overview.MappingCatalogue(folder))
    assert [(v.name, v.health) for v in views] == [
        ("broken", "broken"), (ACCOUNTS, "failed"), ("quiet", "healthy"),
    ]  # fmt: skip
    broken = views[0]
    assert broken.mapping is not None and len(broken.mapping.problems) >= 3  # every problem, not the first
    assert views[1].last_run is not None and "AuthenticationError" in (views[1].last_run.error or "")
