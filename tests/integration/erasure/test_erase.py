"""`officebridge erase` end to end: four sandboxes, real clients, a real state store (SQLite, PostgreSQL).

One person exists as a Salesforce Contact and a HubSpot contact with the same
email; real runs of the shipped mappings spread them to Odoo, Zendesk and a
Salesforce Lead, leave a dead letter quoting them (the Zendesk sync runs once
before the organizations exist) and write quality reports. Then the erasure:
each system is read back through its connector, and officebridge's own
storage is searched byte by byte for the person's values in every spelling.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import psycopg
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from simple_salesforce import Salesforce

from connectors.hubspot.sandbox import HubSpotSandbox
from officebridge.cli import main
from officebridge.connections import resolve_connection
from officebridge.connector import Connector, open_connector
from officebridge.mapping import load_mapping
from officebridge.state import StateStore
from officebridge.sync.run import RunOptions
from officebridge.sync.runner import Describer, replay, run_mapping
from tests.fixtures.state import _libpq

pytestmark = pytest.mark.slow

MAPPINGS = Path(__file__).resolve().parents[3] / "mappings"
ACCOUNTS = MAPPINGS / "salesforce_account_to_odoo.yaml"
SF_ODOO = MAPPINGS / "salesforce_contact_to_odoo.yaml"
COMPANIES_ZD = MAPPINGS / "odoo_company_to_zendesk.yaml"
SF_ZD = MAPPINGS / "salesforce_contact_to_zendesk.yaml"
HS_LEADS = MAPPINGS / "hubspot_contact_to_salesforce_lead.yaml"
HS_CONTACTS = MAPPINGS / "hubspot_contact_to_salesforce_contact.yaml"
ERASABLE = (SF_ODOO, SF_ZD, HS_LEADS, HS_CONTACTS)

EMAIL = "Zelda.Quokkaberg@Example.org"
PERSON = {"FirstName": "Zelda", "LastName": "Quokkaberg", "Email": EMAIL, "Phone": "+1 415 555 0199",
          "Title": "Chief Otter Officer"}  # fmt: skip
SECRET_VALUES = (
    EMAIL,
    EMAIL.lower(),
    "Zelda",
    "Quokkaberg",
    "Zelda Quokkaberg",
    "+1 415 555 0199",
    "4155550199",
)


def spellings(value: str) -> set[str]:
    out = {value, value.lower(), html.escape(value), quote(value, safe=""), quote_plus(value)}
    return out | {json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=True)[1:-1]}


def leaks(text: str) -> list[str]:
    low = text.lower()
    return sorted({s for v in SECRET_VALUES for s in spellings(v) if s.lower() in low})


@pytest.fixture
def world(  # noqa: PLR0917 - pytest passes fixtures by position
    sf_sandbox_fresh: Any, odoo_fresh: Any, zendesk_fresh: Any, hs_fresh: HubSpotSandbox,
    sf_conn_env: str, odoo_conn_env: str, zendesk_conn_env: str, hs_conn_env: str,
    sf_client: Salesforce, state_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> Iterator[dict[str, Any]]:  # fmt: skip
    home = tmp_path / "home"
    monkeypatch.setenv("OFFICEBRIDGE_HOME", str(home))
    monkeypatch.setenv("OFFICEBRIDGE_MAPPINGS", str(MAPPINGS))
    contact = sf_client.query("SELECT Id, AccountId FROM Contact WHERE AccountId != null LIMIT 1")["records"][
        0
    ]
    sf_client.Contact.update(contact["Id"], PERSON)
    hs_fresh.insert("contacts", [{"email": EMAIL.lower(), "firstname": "Zelda", "lastname": "Quokkaberg",
                                  "phone": "+1 415 555 0199", "jobtitle": "Otter"}])  # fmt: skip
    store = StateStore.open(state_url)
    try:
        yield {"store": store, "url": state_url, "home": home, "contact": contact["Id"], "sf": sf_client}
    finally:
        store.close()


def connector(system: str) -> Connector:
    return open_connector(system, resolve_connection(f"{system}_default"))


def state_text(url: str) -> str:
    """What the state store holds in text and JSON columns (PostgreSQL: selected; SQLite: the file bytes)."""
    if url.startswith("sqlite"):
        db = Path(url.removeprefix("sqlite:///"))
        parts = [p.read_bytes().decode("latin-1") for p in db.parent.glob(db.name + "*")]
        return "\n".join(parts)
    with psycopg.connect(_libpq(url)) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND data_type IN ('text', 'character varying', 'json', 'jsonb')"
        ).fetchall()
        return "\n".join(
            str(v) for t, c in columns for (v,) in conn.execute(f'SELECT "{c}"::text FROM "{t}"').fetchall()
        )


def state_rows(url: str) -> list[Any]:
    """Every row of every table, for "nothing changed" (file bytes also move on a read)."""
    engine = sa.create_engine(url)
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            return [
                (t, *map(str, row))
                for t in sorted(meta.tables)
                for row in conn.execute(meta.tables[t].select())
            ]
    finally:
        engine.dispose()


def home_text(home: Path) -> str:
    return "\n".join(p.read_bytes().decode("latin-1") for p in home.rglob("*") if p.is_file())


def erase(url: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["--state-url", url, "erase", *args], catch_exceptions=False)


def sync_everything(w: dict[str, Any]) -> None:
    store = w["store"]
    for path in (ACCOUNTS, SF_ODOO, SF_ZD):  # Zendesk has no organizations yet: the person is set aside
        run_mapping(path, store, RunOptions())
    letters = [d for d in store.dead_letters("salesforce_contact_to_zendesk", limit=100_000)]
    assert any(d.source_id == w["contact"] for d in letters)
    run_mapping(COMPANIES_ZD, store, RunOptions())
    replay(store, letters, MAPPINGS)  # the person's letter becomes 'replayed' and keeps its payload
    for path in (HS_LEADS, HS_CONTACTS):
        run_mapping(path, store, RunOptions())
    # what other writers leave under OFFICEBRIDGE_HOME: a reconciliation report, a log file
    (w["home"] / "reconcile").mkdir(parents=True, exist_ok=True)
    (w["home"] / "reconcile" / "1.json").write_text(json.dumps({"missing": [PERSON]}), encoding="utf-8")
    (w["home"] / "logs").mkdir(exist_ok=True)
    (w["home"] / "logs" / "x.log").write_text(f"GET /users?email={quote(EMAIL)}\n", encoding="utf-8")


def systems_view(w: dict[str, Any]) -> dict[str, Any]:
    sf, hs, odoo, zd = (connector(s) for s in ("salesforce", "hubspot", "odoo", "zendesk"))
    sid = w["contact"]
    hs_ids = list(hs.lookup("contacts", "email", [EMAIL.lower()]).values())
    partner = w["store"].links("salesforce_contact_to_odoo", [sid])[sid].target_id
    user = w["store"].links("salesforce_contact_to_zendesk", [sid])[sid].target_id
    view = {
        "contact": sf.fetch("Contact", ["FirstName", "LastName", "Email", "Phone", "Title"], [sid])[0].fields,
        "partner": odoo.fetch("res.partner", ["name", "email", "phone"], [partner])[0].fields,
        "user": zd.fetch("users", ["name", "email", "phone"], [user])[0].fields,
        "hubspot": hs_ids,
    }
    return view


def test_shipped_policies_name_real_fields(world: dict[str, Any]) -> None:
    describe = Describer()
    try:
        for path in ERASABLE:
            assert load_mapping(path, describe=describe).erasure is not None
    finally:
        describe.close()


def test_erase_by_email_leaves_nothing(world: dict[str, Any]) -> None:
    w = world
    sync_everything(w)
    before = systems_view(w)
    assert before["contact"]["LastName"] == "Quokkaberg" and before["hubspot"]
    assert before["partner"]["name"] == before["user"]["name"] == "Zelda Quokkaberg"
    assert leaks(state_text(w["url"])), "the runs should have left the person's values in the state store"
    assert leaks(home_text(w["home"])), "and in files under OFFICEBRIDGE_HOME"
    lead_link = w["store"].links("hubspot_contact_to_salesforce_lead", before["hubspot"])
    lead_id = lead_link[before["hubspot"][0]].target_id

    # a dry run says what would happen and changes nothing, anywhere
    state_before, files_before = state_rows(w["url"]), home_text(w["home"])
    dry = erase(w["url"], "--email", EMAIL, "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"salesforce Contact {w['contact']}: would anonymise" in dry.output
    assert f"salesforce Lead {lead_id}: would delete" in dry.output
    assert systems_view(w) == before
    assert (state_rows(w["url"]), home_text(w["home"])) == (state_before, files_before)
    assert not leaks(dry.output)

    done = erase(w["url"], "--email", EMAIL, "--json")
    assert done.exit_code == 0, done.output
    assert not leaks(done.output)
    outcome = json.loads(done.output)
    assert {(r["system"], r["object"], r["action"], r["status"]) for r in outcome["records"]} == {
        ("salesforce", "Contact", "anonymise", "done"), ("odoo", "res.partner", "anonymise", "done"),
        ("zendesk", "users", "anonymise", "done"), ("hubspot", "contacts", "anonymise", "done"),
        ("salesforce", "Lead", "delete", "done"),
    }  # fmt: skip

    after = connector("salesforce").fetch("Contact", ["FirstName", "LastName", "Email", "Phone", "Title"],
                                          [w["contact"]])[0].fields  # fmt: skip
    assert after == {"FirstName": None, "LastName": "[erased]", "Email": None, "Phone": None, "Title": None}
    lead = connector("salesforce").fetch("Lead", ["Email"], [lead_id])
    assert not lead or lead[0].deleted
    assert not connector("hubspot").lookup("contacts", "email", [EMAIL.lower()])

    # officebridge's own storage: state (bytes / every text column), report files, the erasure log
    assert not leaks(state_text(w["url"]))
    assert not leaks(home_text(w["home"]))
    assert (w["home"] / "erasure" / "erasures.jsonl").read_text().count("\n") == 1
    assert not w["store"].links("salesforce_contact_to_odoo", [w["contact"]])

    again = erase(w["url"], "--email", EMAIL)
    assert again.exit_code == 0, again.output
    assert "nobody found" in again.output and "nothing of this person is left" in again.output

    # the next runs bring nobody back
    for path in (HS_LEADS, HS_CONTACTS, SF_ODOO, SF_ZD):
        run_mapping(path, w["store"], RunOptions())
    assert not leaks(state_text(w["url"]))
    assert "nobody found" in erase(w["url"], "--email", EMAIL).output


def test_bad_and_unknown_input_change_nothing(world: dict[str, Any]) -> None:
    w = world
    run_mapping(ACCOUNTS, w["store"], RunOptions())
    run_mapping(SF_ODOO, w["store"], RunOptions())
    state = state_rows(w["url"])
    bad = erase(w["url"], "--email", "not-an-address")
    assert bad.exit_code == 1 and "is not an email address" in bad.output
    wrong = erase(w["url"], "--record", "no_such_sync:003")
    assert wrong.exit_code == 1 and "has no mapping file with an `erasure:` block" in wrong.output
    both = erase(w["url"], "--email", EMAIL, "--record", "x:y")
    assert both.exit_code == 1
    unknown = erase(w["url"], "--email", "nobody@example.net")
    assert unknown.exit_code == 0 and "nobody found" in unknown.output
    assert state_rows(w["url"]) == state
    assert not (w["home"] / "erasure").exists() or "nobody" not in home_text(w["home"])


def test_erase_by_record(world: dict[str, Any]) -> None:
    w = world
    run_mapping(ACCOUNTS, w["store"], RunOptions())
    run_mapping(SF_ODOO, w["store"], RunOptions())
    result = erase(w["url"], "--record", f"salesforce_contact_to_odoo:{w['contact']}")
    assert result.exit_code == 0, result.output
    assert f"salesforce Contact {w['contact']}: anonymised" in result.output
    assert re.search(r"odoo res\.partner \d+: anonymised", result.output)
    assert not leaks(state_text(w["url"]))
    assert not leaks(result.output)
