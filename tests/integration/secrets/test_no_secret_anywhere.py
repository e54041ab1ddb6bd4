"""A unique password and token with hostile characters appear nowhere, in any encoding.

Both sandboxes are started with credentials that hold quotes, a backslash, `/`,
`%`, `&` and non-ASCII; the shipped syncs run through the real CLI at every
verbosity (validate, preview, run, a failing run, dead-letters list/show/replay),
and every output is searched for every encoding of every secret: the ones this
test writes out itself (`encodings`: as is, repr, JSON-escaped, URL-encoded,
base64, HTML-escaped, so a form the redaction forgot is not forgotten here
too) and every form the redaction knows (`secrets.forms`). Searched are the
CLI's stdout and stderr, every table of the state database, the HTML reports,
and every page and API answer of the Syncs view (the real app, authenticated
by Airflow's SimpleAuthManager). Dead letters keep the sensitive source values
(Email, Phone) masked too.
"""

from __future__ import annotations

import base64
import html
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from connectors.odoo.sandbox import OdooSandbox
from connectors.salesforce.sandbox import SalesforceSandbox
from connectors.salesforce.sandbox.auth import DemoUser
from officebridge.secrets import forms

pytestmark = pytest.mark.slow
MAPPINGS = Path(__file__).resolve().parents[3] / "mappings"
ACCOUNTS = MAPPINGS / "salesforce_account_to_odoo.yaml"
CONTACTS = MAPPINGS / "salesforce_contact_to_odoo.yaml"
CREDIT = MAPPINGS / "odoo_credit_to_salesforce.yaml"


REPO = Path(__file__).resolve().parents[3]


def hostile(tag: str, amp: str = "&") -> str:
    return f"{tag}'q\"u\\o/t%e{amp}s-é€{uuid.uuid4().hex[:10]}"


def encodings(secret: str, user: str) -> set[str]:
    """Every encoding a secret could leak in, written out here independently of the redaction."""
    found = {
        secret,
        repr(secret)[1:-1],
        repr(repr(secret))[1:-1],
        ascii(secret)[1:-1],
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        html.escape(secret),
        html.escape(secret, quote=False),
        base64.b64encode(secret.encode()).decode(),
        base64.b64encode(secret.encode()).decode().rstrip("="),
        base64.b64encode(f"{user}:{secret}".encode()).decode(),
    }
    return found | forms(secret, user)


@dataclass
class World:
    sf: SalesforceSandbox
    odoo: OdooSandbox
    home: Path
    state_url: str
    env: dict[str, str]
    secrets: dict[str, set[str]]  # name -> every form of it
    outputs: list[tuple[str, str]]

    def cli(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "officebridge.cli", "--state-url", self.state_url, *args],
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
            timeout=300,
            check=False,
        )
        self.outputs.append((" ".join(args), done.stdout + done.stderr))
        return done


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("secrets")
    odoo_password, sf_password, sf_token = hostile("odoo"), hostile("sf"), hostile("tok", amp="")
    # a security token is Salesforce's own (alphanumeric): simple-salesforce puts it in the SOAP
    # login unescaped, so an `&` there could not log in anywhere; the other hostile characters stay
    user = DemoUser(password=sf_password, security_token=sf_token)
    sf = SalesforceSandbox(base / "sf", user=user)
    sf.seed(accounts=20, seed=11)
    odoo = OdooSandbox(base / "odoo", password=odoo_password)
    odoo.seed(accounts=0, seed=11)
    sf.start()
    odoo.start()
    env = {
        **os.environ,
        "OFFICEBRIDGE_HOME": str(base / "home"),
        "OFFICEBRIDGE_NO_AIRFLOW_LOOKUP": "1",
        "OFFICEBRIDGE_RETRY_ATTEMPTS": "2",
        "OFFICEBRIDGE_RETRY_BASE": "0.05",
        "AIRFLOW_CONN_SALESFORCE_DEFAULT": sf.connection_value(),
        "AIRFLOW_CONN_ODOO_DEFAULT": odoo.connection_value(),
        "COLUMNS": "200",
    }
    secrets = {
        "odoo password": encodings(odoo_password, odoo.credentials.login),
        "salesforce password": encodings(sf_password, user.username),
        "salesforce token": encodings(sf_token, user.username),
        "salesforce password+token": encodings(sf_password + sf_token, user.username),
    }
    state_url = f"sqlite:///{base / 'state.db'}"
    yield World(sf, odoo, base / "home", state_url, env, secrets, [])
    sf.stop()
    odoo.stop()


def leaks(world: World, text: str) -> list[str]:
    return sorted({name for name, found in world.secrets.items() for form in found if form in text})


@pytest.fixture(scope="module")
def ran(world: World) -> World:
    """Every command, at every verbosity, once (the tests below only look at what they left)."""
    for flags in ([], ["-v"], ["-vv"]):
        world.cli(*flags, "validate", str(ACCOUNTS), str(CONTACTS), str(CREDIT))
    world.cli("-vv", "preview", str(ACCOUNTS), "-n", "5")
    assert world.cli("-vv", "run", str(ACCOUNTS)).returncode == 0, world.outputs[-1][1][-3000:]
    world.odoo.add_fault("record_error", object="res.partner", field="type", value="contact")
    contacts = world.cli("-v", "run", str(CONTACTS))
    assert contacts.returncode == 3, contacts.stdout + contacts.stderr  # every contact is a dead letter
    world.odoo.clear_faults()
    world.cli("-vv", "run", str(CREDIT))
    for flags in ([], ["-v"], ["-vv"]):
        world.cli(*flags, "dead-letters", "list", "--limit", "1000")
    listed = json.loads(world.cli("dead-letters", "list", "--json", "--limit", "1000").stdout)
    assert listed, "the contacts run must have left dead letters"
    first = listed[0] if isinstance(listed, list) else next(iter(listed.values()))[0]
    world.cli("-vv", "dead-letters", "show", str(first["id"]))
    world.odoo.add_fault("record_error", object="res.partner", field="type", value="contact")
    replayed = world.cli("-vv", "dead-letters", "replay", str(first["id"]), "--mappings", str(MAPPINGS))
    assert replayed.returncode != 0 and "still failing 1" in replayed.stdout + replayed.stderr, replayed
    world.odoo.clear_faults()
    replayed = world.cli("-vv", "dead-letters", "replay", str(first["id"]), "--mappings", str(MAPPINGS))
    assert replayed.returncode == 0 and "replayed 1" in replayed.stdout + replayed.stderr, replayed
    bad = {**json.loads(world.env["AIRFLOW_CONN_ODOO_DEFAULT"]), "password": hostile("wrong")}
    world.secrets["wrong odoo password"] = encodings(bad["password"], world.odoo.credentials.login)
    failed = world.cli("-vv", "run", str(CREDIT), env={"AIRFLOW_CONN_ODOO_DEFAULT": json.dumps(bad)})
    assert failed.returncode == 1
    return world


def test_no_cli_output_shows_a_secret(ran: World) -> None:
    assert len(ran.outputs) >= 14
    commands = " | ".join(command for command, _ in ran.outputs)
    for verb in ("-vv validate", "-vv preview", "-vv run", "-vv dead-letters replay"):
        assert verb in commands, commands
    found = {command: leaks(ran, out) for command, out in ran.outputs}
    assert {c: f for c, f in found.items() if f} == {}
    # -vv did log OdooRPC's JSON-RPC payloads, login included: the password was there to leak, masked
    assert any("(JSON,send)" in out and "'login'" in out and "***" in out for _, out in ran.outputs)


def test_the_state_database_holds_no_secret(ran: World) -> None:
    db = sqlite3.connect(ran.state_url.removeprefix("sqlite:///"))
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    assert "dead_letters" in tables
    dump = "\n".join(str(row) for t in tables for row in db.execute(f'SELECT * FROM "{t}"'))
    dump += "\n".join(db.iterdump())
    assert leaks(ran, dump) == []


def test_reports_hold_no_secret(ran: World) -> None:
    reports = list(ran.home.rglob("*.html"))
    text = "\n".join(p.read_text(errors="replace") for p in reports)
    assert leaks(ran, text) == []


def test_dead_letters_mask_sensitive_source_values(ran: World) -> None:
    db = sqlite3.connect(ran.state_url.removeprefix("sqlite:///"))
    payloads = [json.loads(p) for (p,) in db.execute("SELECT payload FROM dead_letters")]
    assert payloads
    shown = [p["source"] for p in payloads if "Email" in p.get("source", {})]
    assert shown and all(s["Email"] in (None, "", "***") for s in shown)
    assert any(s["Email"] == "***" for s in shown)
    listed = "\n".join(out for command, out in ran.outputs if "dead-letters" in command)
    emails = [v for p in payloads for v in p.get("values", {}).values() if isinstance(v, str) and "@" in v]
    assert emails == []
    assert "@" not in "".join(str(s.get("Email")) for s in shown) and "***" in listed + json.dumps(payloads)


def test_the_syncs_view_shows_no_secret(ran: World, tmp_path: Path) -> None:
    """Every page and API answer of the Syncs view over this store: runs, errors, dead letters, payloads."""
    out = tmp_path / "syncs-view.txt"
    airflow = tmp_path / "airflow"
    env = {
        **{k: v for k, v in ran.env.items() if not k.startswith("AIRFLOW__")},
        "AIRFLOW_HOME": str(airflow),
        "AIRFLOW__CORE__AUTH_MANAGER": (
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
        ),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{airflow / 'airflow.db'}",
        "AIRFLOW__API_AUTH__JWT_SECRET": uuid.uuid4().hex * 2,
    }
    script = [sys.executable, "-m", "tests.integration.secrets.syncs_view", ran.state_url, str(MAPPINGS)]
    done = subprocess.run(
        [*script, str(out)], capture_output=True, text=True, env=env, cwd=REPO, timeout=300, check=False
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    text = out.read_text()
    assert "salesforce_contact_to_odoo" in text and "--- GET /syncs/salesforce_contact_to_odoo" in text
    assert text.count("--- GET /api/dead-letters/") >= 10  # every letter's payload was looked at
    assert "***" in text  # masked values (sensitive source fields, the refused login) were there to leak
    assert leaks(ran, text + done.stdout + done.stderr) == []
