"""An analyst settles a two-way conflict in a real browser: both notes are on the page, Keep a wins.

The shipped Salesforce Account <-> Odoo company pair, the notes changed on both
sides, headless Chromium logged into a real `airflow api-server`: the pair's
page shows both versions and the base, and "Keep a (salesforce)" writes the
Account's notes to the Odoo company in the request, then shows it resolved.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from officebridge.pair.runner import run_pair
from officebridge.sync.run import RunOptions
from tests.e2e.browser.test_syncs_view import WAIT, _login
from tests.e2e.plugin.airflow_server import AirflowServer
from tests.integration.sync.conftest import ACCOUNTS, MAPPINGS, Bridge

pytestmark = pytest.mark.slow  # a browser, an Airflow server and both sandboxes

PAIR = MAPPINGS / "pairs" / "salesforce_account_odoo_company.yaml"
PAIR_NAME = "salesforce_account_odoo_company"


def test_keep_a_in_the_browser_writes_the_account_notes_to_odoo(
    bridge: Bridge, airflow_server: AirflowServer, browser: Any, screenshots: Path
) -> None:
    from selenium.webdriver.common.by import By  # noqa: PLC0415
    from selenium.webdriver.support import expected_conditions as ec  # noqa: PLC0415
    from selenium.webdriver.support.ui import WebDriverWait  # noqa: PLC0415

    bridge.run(ACCOUNTS)
    run_pair(PAIR, bridge.store, RunOptions(overlap=timedelta(0)))
    account_id = sorted(p["ref"] for p in bridge.synced_partners())[0]
    [company] = bridge.partners([["ref", "=", account_id]], ["id"])
    bridge.sf_client.Account.update(account_id, {"Description": "Wants quarterly invoices"})
    bridge.odoo_client.execute_kw("res.partner", "write", [[company["id"]], {"comment": "Pays by transfer"}])
    run_pair(PAIR, bridge.store, RunOptions(overlap=timedelta(0)))
    [letter] = [d for d in bridge.store.dead_letters(PAIR_NAME) if d.stage == "conflict"]

    _login(browser, airflow_server)
    browser.get(f"{airflow_server.url}/officebridge/syncs/{PAIR_NAME}")
    block = WebDriverWait(browser, WAIT).until(
        ec.presence_of_element_located((By.ID, f"conflict-{letter.id}"))
    )
    row = block.find_element(By.CSS_SELECTOR, "tr[data-field=notes]")
    assert row.find_element(By.CSS_SELECTOR, ".version-a").text == "Wants quarterly invoices"
    assert row.find_element(By.CSS_SELECTOR, ".version-b").text == "Pays by transfer"
    assert row.find_element(By.CSS_SELECTOR, ".base").text == "empty / empty"
    browser.save_screenshot(str(screenshots / "conflict.png"))

    keep_a = block.find_element(By.CSS_SELECTOR, "button[name=keep-a]")
    assert keep_a.text == "Keep a (salesforce)"
    assert block.find_element(By.CSS_SELECTOR, "button[name=keep-b]").text == "Keep b (odoo)"
    keep_a.click()
    notice = WebDriverWait(browser, WAIT).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, ".notice-ok"))
    )
    said = f"conflict {letter.id} of {PAIR_NAME} resolved: kept a (salesforce) for notes; wrote b"
    assert said in notice.text
    done = browser.find_element(By.ID, f"conflict-{letter.id}")
    assert done.get_attribute("data-status") == "resolved" and not done.find_elements(By.TAG_NAME, "button")
    browser.save_screenshot(str(screenshots / "conflict-resolved.png"))

    [after] = bridge.partners([["id", "=", company["id"]]], ["comment"])
    assert "Wants quarterly invoices" in str(after["comment"])  # Odoo keeps its notes as HTML
    assert bridge.store.dead_letter(letter.id).status == "replayed"  # type: ignore[union-attr]
