"""A two-way sync's conflict on the Syncs page: both versions and the base, and Keep a / Keep b buttons.

The app is the real Syncs application behind Airflow's real auth: the Simple
auth manager (an admin who may act, a viewer who may only look) signs the
bearer tokens and checks every permission, in this process, so the conflict
lives on two in-memory systems the test can read afterwards. Marked slow: it
imports Airflow into the pytest process, and once Airflow is imported every
later Secret also goes through Airflow's masker (see officebridge/secrets.py),
which slows the rest of a fast-tier session; test_conflicts_page.py renders
the same page without Airflow in the fast tier.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from officebridge.ui.app import UIConfig, create_app
from tests.unit.pair.conftest import Systems, systems  # noqa: F401 - the fixture, reused

pytestmark = pytest.mark.slow

PAGE = "/syncs/accounts_pair"
USERS = {"admin": "admin", "viewer": "viewer"}


@pytest.fixture
def airflow_auth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Airflow's Simple auth manager on a scratch metadata DB; a bearer header per user."""
    home = tmp_path / "airflow"
    home.mkdir()
    (home / "passwords.json").write_text(json.dumps({n: f"{n}-pw" for n in USERS}))
    for key, value in {
        "AIRFLOW__CORE__AUTH_MANAGER": (
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
        ),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": ",".join(f"{n}:{r}" for n, r in USERS.items()),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
        "AIRFLOW__API_AUTH__JWT_SECRET": "officebridge-unit-tests-jwt-secret-0123456789",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
    }.items():
        monkeypatch.setenv(key, value)
    from airflow import settings  # noqa: PLC0415 - Airflow is slow to import; only these tests need it
    from airflow.api_fastapi.app import init_auth_manager  # noqa: PLC0415
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser  # noqa: PLC0415
    from airflow.models.revoked_token import RevokedToken  # noqa: PLC0415

    settings.configure_vars()  # type: ignore[no-untyped-call]
    settings.configure_orm()  # type: ignore[no-untyped-call]
    RevokedToken.__table__.create(settings.engine, checkfirst=True)  # the one table token checks read
    manager = init_auth_manager()
    try:
        yield {
            name: f"Bearer {manager.generate_jwt(SimpleAuthManagerUser(username=name, role=role))}"
            for name, role in USERS.items()
        }
    finally:
        settings.dispose_orm()
        monkeypatch.undo()
        settings.configure_vars()  # type: ignore[no-untyped-call]


@pytest.fixture
def client(systems: Systems, airflow_auth: dict[str, str]) -> Iterator[TestClient]:  # noqa: F811
    url = systems.store.url.render_as_string(hide_password=False)
    app = create_app(UIConfig(mappings_dir=systems.file.parent, state_url=url))
    with TestClient(app, headers={"Authorization": airflow_auth["admin"]}) as http:
        yield http
    app.state.services.close()


def _conflict(systems: Systems) -> tuple[str, str, str, str, str]:  # noqa: F811
    """Sync once, then change `rating` on both sides: the next run parks a manual conflict."""
    systems.run()
    found = systems.edit_rating_on_both_sides()
    systems.run()
    return found


def _block(page: str, letter_id: int) -> str:
    found = re.search(rf'<div class="conflict" id="conflict-{letter_id}".*?\n</div>', page, re.S)
    assert found, f"conflict {letter_id} is not on the page"
    return unescape(found[0])


def _cells(block: str, field: str) -> list[str]:
    row = re.search(rf'<tr class="field" data-field="{field}">(.*?)</tr>', block, re.S)
    assert row, f"no row for {field}"
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row[1], re.S)]


def _resolve(http: TestClient, letter_id: int, take: str, **headers: str) -> Any:
    return http.post(
        f"/syncs/conflicts/{letter_id}/resolve",
        data={"take": take, "back": PAGE},
        headers=headers,
        follow_redirects=False,
    )


def test_a_conflict_shows_both_versions_and_keep_b_writes_both_systems_and_closes_it(
    systems: Systems,  # noqa: F811
    client: TestClient,
) -> None:
    crm_id, erp_id, was, mine, theirs = _conflict(systems)
    [letter] = [d for d in systems.store.dead_letters("accounts_pair") if d.stage == "conflict"]

    listed = client.get("/syncs").text  # the list of every sync's letters sends a conflict to its page
    row = re.search(rf'<tr id="dead-letter-{letter.id}".*?</tr>', listed, re.S)
    assert row and f'href="/syncs/accounts_pair#conflict-{letter.id}"' in row[0]
    assert 'name="replay"' not in row[0]

    page = client.get(PAGE)
    assert page.status_code == 200
    block = _block(page.text, letter.id)
    assert crm_id in block and erp_id in block
    assert _cells(block, "rating") == ["rating", mine, theirs, f"{was} / {was}"]  # a, b, both bases
    assert "Keep a (memory)" in block and "Keep b (memory)" in block
    for secret in (systems.crm.password, systems.erp.password):
        assert secret not in page.text

    done = _resolve(client, letter.id, "b")
    assert done.status_code == 303
    assert done.headers["location"].startswith(f"{PAGE}?") and done.headers["location"].endswith(
        f"#conflict-{letter.id}"
    )
    assert systems.live(systems.crm)[crm_id]["rating"] == theirs == systems.partner(crm_id)["rating"]
    closed = systems.store.dead_letter(letter.id)
    assert closed is not None and closed.status == "replayed"
    assert closed.payload["resolution"]["took"] == "b" and closed.payload["resolution"]["written"] == ["a"]

    after = client.get(done.headers["location"])
    assert "conflict" in after.text and "resolved: kept b (memory) for rating; wrote a" in unescape(
        after.text
    )
    block = _block(after.text, letter.id)
    assert 'data-status="resolved"' in block and "Keep a" not in block
    assert _cells(block, "rating") == ["rating", mine, theirs, f"{was} / {was}", theirs]  # what was kept
    assert "resolved kept b (memory); wrote a" in " ".join(re.sub(r"<[^>]+>", "", block).split())

    again = _resolve(client, letter.id, "a")
    assert "tone=error" in again.headers["location"] and "already" in unescape(again.headers["location"])
    assert systems.live(systems.crm)[crm_id]["rating"] == theirs  # the second click changed nothing


def test_a_viewer_sees_the_conflict_but_cannot_resolve_it_nor_can_another_site(
    systems: Systems,  # noqa: F811
    client: TestClient,
    airflow_auth: dict[str, str],
) -> None:
    crm_id, erp_id, _was, mine, theirs = _conflict(systems)
    [letter] = [d for d in systems.store.dead_letters("accounts_pair") if d.stage == "conflict"]
    viewer = {"Authorization": airflow_auth["viewer"]}

    block = _block(client.get(PAGE, headers=viewer).text, letter.id)
    assert mine in block and theirs in block and "Keep a" not in block and "read only" in block
    refused = _resolve(client, letter.id, "a", **viewer)
    assert "tone=error" in refused.headers["location"]
    assert _resolve(client, letter.id, "a", origin="https://evil.example").status_code == 403
    assert systems.live(systems.crm)[crm_id]["rating"] == mine
    assert systems.live(systems.erp)[erp_id]["rating"] == theirs
    assert systems.store.dead_letter(letter.id).status == "open"  # type: ignore[union-attr]


def test_a_refused_write_is_an_error_notice_and_the_conflict_stays_open(
    systems: Systems,  # noqa: F811
    client: TestClient,
) -> None:
    crm_id, _erp_id, _was, mine, theirs = _conflict(systems)
    [letter] = [d for d in systems.store.dead_letters("accounts_pair") if d.stage == "conflict"]
    systems.erp.add_fault("record_error", field="rating", value=mine, message="rating is frozen")

    failed = _resolve(client, letter.id, "a")
    assert failed.status_code == 303 and "tone=error" in failed.headers["location"]
    page = unescape(client.get(failed.headers["location"]).text)
    assert "rating is frozen" in page and systems.erp.password not in page
    assert systems.store.dead_letter(letter.id).status == "open"  # type: ignore[union-attr]
    assert systems.partner(crm_id)["rating"] == theirs


def test_the_api_resolves_a_conflict_and_refuses_to_replay_one(
    systems: Systems,  # noqa: F811
    client: TestClient,
) -> None:
    crm_id, erp_id, _was, mine, _theirs = _conflict(systems)
    [letter] = [d for d in systems.store.dead_letters("accounts_pair") if d.stage == "conflict"]
    replay = client.post(f"/api/dead-letters/{letter.id}/replay")
    assert replay.status_code == 409 and "resolve it by keeping a or b" in replay.json()["detail"]
    done = client.post(f"/api/dead-letters/{letter.id}/resolve", params={"take": "a"})
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    assert systems.live(systems.erp)[erp_id]["rating"] == mine == systems.live(systems.crm)[crm_id]["rating"]
    assert client.post(f"/api/dead-letters/{letter.id}/resolve", params={"take": "b"}).status_code == 409
