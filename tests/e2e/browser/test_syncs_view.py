"""An ops engineer's repair, in a real browser: log into Airflow, open Syncs, replay a failed record.

Headless Chromium against a real `airflow api-server`: the Simple auth
manager's login page, Airflow's own navigation (the plugin's top-level
"Syncs" entry), the view in Airflow's frame, and a Replay button that reads
the record again from Salesforce and writes it to Odoo. Screenshots go to
tests/e2e/browser/screenshots/ (gitignored) for a person to look at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from tests.e2e.plugin.airflow_server import USERS, AirflowServer
from tests.integration.sync.conftest import ACCOUNTS, CONTACTS, Bridge

pytestmark = pytest.mark.slow  # a browser, an Airflow server and two syncs: ~30 s

ACCOUNT_SYNC = "salesforce_account_to_odoo"
CONTACT_SYNC = "salesforce_contact_to_odoo"
WAIT = 30


def _wait(driver: Any, condition: Any) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait  # noqa: PLC0415

    return WebDriverWait(driver, WAIT).until(condition)


def _login(driver: Any, server: AirflowServer, user: str = "admin") -> None:
    from selenium.webdriver.common.by import By  # noqa: PLC0415
    from selenium.webdriver.support import expected_conditions as ec  # noqa: PLC0415

    driver.get(f"{server.url}/")
    _wait(driver, ec.url_contains("/auth/login"))
    _wait(driver, ec.presence_of_element_located((By.NAME, "username"))).send_keys(user)
    driver.find_element(By.NAME, "password").send_keys(USERS[user][1])
    _wait(driver, ec.element_to_be_clickable((By.CSS_SELECTOR, "button[type=submit]"))).click()
    _wait(driver, lambda d: "/auth/login" not in d.current_url)


def _wait_for_the_replay_run(browser: Any, server: AirflowServer, notice: Any, sync: str, ready: str) -> None:
    """The notice links to the replay__<sync> run the button started; once a worker has finished it,
    reload the frame's page to see what it did."""
    from selenium.webdriver.common.by import By  # noqa: PLC0415
    from selenium.webdriver.support import expected_conditions as ec  # noqa: PLC0415

    run_link = notice.find_element(By.CSS_SELECTOR, "a.run-link").get_attribute("href")
    assert f"/dags/replay__{sync}/runs/" in run_link
    assert server.wait_for_run(f"replay__{sync}", unquote(run_link.rsplit("/runs/", 1)[1])) == "success"
    browser.execute_script("location.reload()")
    _wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, ready)))


def test_log_in_open_syncs_see_the_failure_replay_it(
    bridge: Bridge, airflow_server: AirflowServer, browser: Any, screenshots: Path
) -> None:
    from selenium.webdriver.common.by import By  # noqa: PLC0415
    from selenium.webdriver.support import expected_conditions as ec  # noqa: PLC0415

    # a failed record: Odoo refuses one company, so it (and its contacts) become dead letters
    name = bridge.sf_records("SELECT Name FROM Account ORDER BY Id LIMIT 1 OFFSET 7")[0]["Name"].strip()
    bridge.odoo.add_fault("record_error", field="name", value=name, message="Name is on a sanctions list")
    assert bridge.run(ACCOUNTS).counts.failed >= 1
    bridge.run(CONTACTS)
    [letter] = [d for d in bridge.store.dead_letters(ACCOUNT_SYNC) if d.payload["values"]["name"] == name][:1]

    _login(browser, airflow_server)
    nav = _wait(browser, ec.element_to_be_clickable((By.CSS_SELECTOR, "a[aria-label='Syncs']")))
    nav.click()
    _wait(browser, ec.url_contains("/plugin/syncs"))
    _wait(browser, ec.frame_to_be_available_and_switch_to_it((By.CSS_SELECTOR, "iframe[title='Syncs']")))

    row = _wait(browser, ec.presence_of_element_located((By.ID, f"dead-letter-{letter.id}")))
    assert "sanctions list" in row.text and letter.source_id in row.text
    sync_row = browser.find_element(By.CSS_SELECTOR, f"tr[data-sync='{ACCOUNT_SYNC}']")
    assert [r.get_attribute("data-sync") for r in browser.find_elements(By.CSS_SELECTOR, "tr.sync")][:2] == [
        ACCOUNT_SYNC, CONTACT_SYNC]  # the ones needing care first  # fmt: skip
    health = sync_row.find_element(By.CSS_SELECTOR, ".health").text
    assert health == "partial" and "salesforce" in sync_row.text.lower()
    row.find_element(By.TAG_NAME, "summary").click()  # show the payload in the screenshot
    browser.switch_to.default_content()
    browser.save_screenshot(str(screenshots / "syncs.png"))

    bridge.odoo.clear_faults()  # the fix: Odoo accepts the company now
    browser.switch_to.frame(browser.find_element(By.CSS_SELECTOR, "iframe[title='Syncs']"))
    browser.find_element(By.CSS_SELECTOR, f"#dead-letter-{letter.id} button[name=replay]").click()
    notice = _wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, ".notice-ok")))
    assert f"replay of record {letter.source_id} started as Airflow run" in notice.text
    _wait_for_the_replay_run(browser, airflow_server, notice, ACCOUNT_SYNC, "tr.sync")  # a worker replays
    assert not browser.find_elements(By.ID, f"dead-letter-{letter.id}")
    browser.switch_to.default_content()
    browser.save_screenshot(str(screenshots / "syncs-after-replay.png"))

    assert bridge.store.dead_letter(letter.id).status == "replayed" and bridge.partners(
        [["ref", "=", letter.source_id]]
    ), "the company reached Odoo"

    # its contacts failed because the company was missing: replay them all from the sync's page
    browser.switch_to.frame(browser.find_element(By.CSS_SELECTOR, "iframe[title='Syncs']"))
    browser.find_element(By.CSS_SELECTOR, f"tr[data-sync='{CONTACT_SYNC}'] a.name").click()
    _wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, "table.runs")))
    contacts = browser.find_elements(By.CSS_SELECTOR, "tr.letter")
    assert contacts and all("has not been synced" in r.text for r in contacts)
    browser.find_element(By.CSS_SELECTOR, "button[name=replay-all]").click()
    notice = _wait(browser, ec.presence_of_element_located((By.CSS_SELECTOR, ".notice-ok")))
    assert f"replay of {len(contacts)} record(s) of {CONTACT_SYNC} started as Airflow run" in notice.text
    _wait_for_the_replay_run(browser, airflow_server, notice, CONTACT_SYNC, "table.runs")
    assert not browser.find_elements(By.CSS_SELECTOR, "tr.letter")
    assert len(browser.find_elements(By.CSS_SELECTOR, "tr.run")) == 2  # the run and its replay
    browser.switch_to.default_content()
    browser.save_screenshot(str(screenshots / "sync.png"))
    assert bridge.store.dead_letters(CONTACT_SYNC) == []

    # links to Airflow's own pages open in Airflow's main view, not inside the frame
    browser.switch_to.frame(browser.find_element(By.CSS_SELECTOR, "iframe[title='Syncs']"))
    browser.find_element(By.CSS_SELECTOR, "a.ext[data-airflow]").click()
    browser.switch_to.default_content()
    _wait(browser, ec.url_matches(rf"{airflow_server.url}/dags/sync__{CONTACT_SYNC}$"))
    _wait(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, "iframe[title='Syncs']"))  # Airflow's page
