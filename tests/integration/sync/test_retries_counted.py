"""A run's summary counts every remote call it retried, the logins and describes before its lock too.

The faults come from the sandbox kit: a 503 page from whatever stands in front of
Odoo at its login and at its describe (`fields_get`), and an HTML page at the
Salesforce login. Each is retried by the connector while the run is prepared
(mapping checked against the live systems), before the run itself starts.
"""

from __future__ import annotations

import pytest

from officebridge.state import StateStore
from officebridge.sync.runner import replay
from tests.integration.sync.conftest import ACCOUNTS, MAPPINGS, Bridge

SYNC = "salesforce_account_to_odoo"
HTML = "<html><head><title>Maintenance</title></head><body><h1>Back soon<hr></body></html>"


@pytest.fixture(autouse=True)
def _short_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OFFICEBRIDGE_RETRY_BASE", "0.01")


def _arm_preparation_faults(bridge: Bridge) -> None:
    bridge.odoo.add_fault("server_error", status=503, operation=r"^common\.login$")
    bridge.odoo.add_fault("server_error", status=502, operation=r"^res\.partner\.fields_get$")
    bridge.sf.add_fault("raw", operation=r"^POST login$", status=503, body=HTML)


def test_retries_while_a_run_is_prepared_are_in_its_summary(bridge: Bridge) -> None:
    _arm_preparation_faults(bridge)
    result = bridge.run(ACCOUNTS)
    assert result.status == "succeeded" and result.counts.created == 300
    assert bridge.odoo.stats()["faults"] == {"server_error": 2}  # both were met, before the run began
    assert bridge.sf.stats()["faults"] == {"raw": 1}
    assert result.retried == 3
    detail = bridge.store.last_run(SYNC).detail  # type: ignore[union-attr]
    assert detail["retried"] == 3
    calls = detail["retried_calls"]
    assert sum(n for what, n in calls.items() if what.startswith("Odoo")) == 2, calls
    assert sum(n for what, n in calls.items() if what.startswith("Salesforce")) == 1, calls


def test_a_quiet_run_counts_no_retry(bridge: Bridge) -> None:
    bridge.run(ACCOUNTS)
    again = bridge.run(ACCOUNTS)
    assert again.retried == 0 and bridge.store.last_run(SYNC).detail["retried"] == 0  # type: ignore[union-attr]


def test_a_replay_counts_the_retries_of_its_preparation(bridge: Bridge, sqlite_state_url: str) -> None:
    [refused] = bridge.sf_records("SELECT Id, Name FROM Account ORDER BY Id LIMIT 1")
    bridge.odoo.add_fault("record_error", object="res.partner", field="name", value=refused["Name"])
    first = bridge.run(ACCOUNTS)
    letters = bridge.store.dead_letters(SYNC, limit=1000)
    assert first.counts.failed == len(letters) >= 1
    bridge.odoo.clear_faults()
    _arm_preparation_faults(bridge)
    with StateStore.open(sqlite_state_url) as store:
        [done] = replay(store, letters, MAPPINGS)
        assert done.still_failing == 0 and done.run_id is not None
        run = store.run(done.run_id)
    assert run is not None and run.detail["retried"] == 3


def test_a_well_formed_outage_page_at_the_salesforce_login_is_retried_not_a_refusal(bridge: Bridge) -> None:
    page = "<html><head><title>Maintenance</title></head><body><p>Back soon</p></body></html>"  # valid XML
    bridge.sf.add_fault("raw", operation=r"^POST login$", status=503, body=page)
    result = bridge.run(ACCOUNTS)
    assert result.status == "succeeded" and result.counts.created == 300
    assert bridge.sf.stats()["faults"] == {"raw": 1}
    assert result.retried == 1
