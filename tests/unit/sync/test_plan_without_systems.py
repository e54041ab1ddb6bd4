"""Planning an ordinary run asks neither system: no login, no describe (one per DAG run is enough)."""

from __future__ import annotations

import pytest

from officebridge.airflow import tasks
from officebridge.sync.partitions import INCREMENTAL
from tests.unit.sync.conftest import Pair


def _requests(pair: Pair) -> int:
    return int(pair.crm.stats()["requests"]) + int(pair.erp.stats()["requests"])


def test_an_ordinary_run_is_planned_from_the_state_store_alone(
    pair: Pair, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OFFICEBRIDGE_STATE_URL", str(pair.store.url.render_as_string(hide_password=False)))
    pair.crm.reset_stats()
    tasks.plan(str(pair.accounts), 4)  # an initial load: the source is asked where to cut windows
    assert int(pair.crm.stats()["requests"]) > 0
    pair.run(pair.accounts)
    pair.crm.reset_stats()
    pair.erp.reset_stats()
    assert tasks.plan(str(pair.accounts), 4) == [INCREMENTAL.as_dict()]  # a watermark: incremental
    assert tasks.plan(str(pair.contacts), 1) == [INCREMENTAL.as_dict()]  # one partition asked for
    assert _requests(pair) == 0
