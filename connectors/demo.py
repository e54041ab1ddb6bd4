"""`make demo`: the shipped syncs against the sandboxes, told as a short story.

It drives the real `officebridge` command line, so every step shown is a
command an analyst can type. It lives beside the connectors, not in the
engine, because it names the shipped systems and edits their records. Data
lives in $OFFICEBRIDGE_HOME/demo (wiped at the start: it is demo data); the
sandboxes are stopped at the end unless --keep is given.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from officebridge import sandboxes, settings
from officebridge.connections import resolve_connection
from officebridge.connector import Connector, OpKind, ReadRequest, SourceRecord, WriteOp, open_connector
from officebridge.state import StateStore

SYNCS = ["salesforce_account_to_odoo", "salesforce_contact_to_odoo", "odoo_credit_to_salesforce"]
HUBSPOT_SYNCS = ["hubspot_contact_to_salesforce_lead", "hubspot_consent_to_salesforce_lead"]
PAIR_NAME = "salesforce_account_odoo_company"
PAIR = f"pairs/{PAIR_NAME}.yaml"


def say(text: str) -> None:
    print(f"\n\033[1m== {text}\033[0m" if sys.stdout.isatty() else f"\n== {text}", flush=True)


def cli(*args: str, ok: tuple[int, ...] = (0,)) -> int:
    print("$ officebridge " + " ".join(args), flush=True)
    code = subprocess.run([sys.executable, "-m", "officebridge.cli", *args], check=False).returncode
    if code not in ok:
        raise SystemExit(f"demo: `officebridge {' '.join(args)}` exited with {code}")
    return code


def run_all(mappings: Path) -> None:
    for name in SYNCS:
        cli("run", str(mappings / f"{name}.yaml"), ok=(0, 3))


def run_all_in_airflow(home: Path) -> None:
    """The same syncs as their Airflow DAGs, on a throw-away Airflow metadata DB under the demo home."""
    repo = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(repo),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "airflow-logs"),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "airflow-passwords.json"),
    }
    airflow = str(Path(sys.executable).with_name("airflow"))
    log = home / "airflow-demo.log"
    with log.open("a") as sink:
        subprocess.run([airflow, "db", "migrate"], env=env, stdout=sink, stderr=sink, check=True)
        for name in SYNCS:
            print(f"$ airflow dags test sync__{name}", flush=True)
            done = subprocess.run(
                [airflow, "dags", "test", f"sync__{name}"],
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                check=False,
            )
            if done.returncode != 0:
                raise SystemExit(f"demo: the DAG sync__{name} failed; see {log}")
    print(f"(Airflow's own output is in {log})")
    cli("status")


def edit_sources() -> None:
    """Change three Accounts and two Contacts in Salesforce, and one company's trust in Odoo."""
    sf = open_connector("salesforce", resolve_connection("salesforce_default"))
    odoo = open_connector("odoo", resolve_connection("odoo_default"))
    accounts = _first(sf, "Account", "Name", 3)
    ops = [
        WriteOp(OpKind.UPDATE, a.id, {"Name": f"{a.fields['Name']} (renamed)"}, target_id=a.id)
        for a in accounts
    ]
    show_results("Salesforce Account renamed", accounts, sf.write("Account", ops))
    contacts = _first(sf, "Contact", "LastName", 2)
    ops = [
        WriteOp(OpKind.UPDATE, c.id, {"Email": f"contact{n}.moved@example.org"}, target_id=c.id)
        for n, c in enumerate(contacts, 1)
    ]
    show_results("Salesforce Contact email changed", contacts, sf.write("Contact", ops))
    found = odoo.lookup("res.partner", "ref", [accounts[-1].id])
    partner = found[accounts[-1].id]
    show_results(
        "Odoo company trust set to bad",
        [accounts[-1]],
        odoo.write("res.partner", [WriteOp(OpKind.UPDATE, partner, {"trust": "bad"}, target_id=partner)]),
    )
    sf.close()
    odoo.close()


def hubspot_to_leads(mappings: Path) -> None:
    """Marketing beyond the CRM: HubSpot contacts become Salesforce Leads, with their email consent."""
    for name in HUBSPOT_SYNCS:
        cli("run", str(mappings / f"{name}.yaml"), ok=(0, 3))
    sf = open_connector("salesforce", resolve_connection("salesforce_default"))
    request = ReadRequest("Lead", ("Email", "HasOptedOutOfEmail"), batch_size=2000)
    leads = [r for page in sf.read(request) for r in page.records]
    sf.close()
    opted_out = sum(1 for r in leads if r.fields["HasOptedOutOfEmail"])
    print(f"  Salesforce now holds {len(leads)} Leads; {opted_out} of them are opted out of email")


def two_way(mappings: Path) -> None:
    """An Account edited in Salesforce, its company in Odoo: both edits arrive; a clash waits for a person."""
    pair = str(mappings / PAIR)
    cli("run", pair, ok=(0, 3))  # the first run starts from the Account sync's links
    sf = open_connector("salesforce", resolve_connection("salesforce_default"))
    odoo = open_connector("odoo", resolve_connection("odoo_default"))
    try:
        [account] = _first(sf, "Account", "Name", 1)
        company = str(odoo.lookup("res.partner", "ref", [account.id])[account.id])
        phone, street = "+33 1 40 20 50 50", "99 Quai de la Gare"
        _update(
            sf, "Account", account.id, {"Phone": phone, "Description": "Invoice quarterly"}, "phone, notes"
        )
        _update(
            odoo, "res.partner", company, {"street": street, "comment": "Pays by transfer"}, "street, notes"
        )
        cli("run", pair, ok=(3,))  # the notes have no owner: changed on both sides, a person chooses
        [sf_now] = sf.fetch("Account", ["BillingStreet", "Phone"], [account.id])
        [odoo_now] = odoo.fetch("res.partner", ["street", "phone"], [company])
        print(f"  Salesforce {account.id}: BillingStreet={sf_now.fields['BillingStreet']!r} (from Odoo)")
        print(f"  Odoo {company}: phone={odoo_now.fields['phone']!r} (from Salesforce)")
        cli("conflicts", "list")
        with StateStore.open() as store:
            [letter] = [d for d in store.dead_letters(PAIR_NAME) if d.stage == "conflict"]
        cli("conflicts", "resolve", str(letter.id), "--take", "b", "--mappings", str(mappings))
        [sf_now] = sf.fetch("Account", ["Description"], [account.id])
        [odoo_now] = odoo.fetch("res.partner", ["comment"], [company])
        notes = sf_now.fields["Description"], odoo_now.fields["comment"]
        print(f"  notes now: Salesforce {notes[0]!r}, Odoo {notes[1]!r}")
    finally:
        sf.close()
        odoo.close()


def _update(connector: Connector, obj: str, record_id: str, values: dict[str, Any], what: str) -> None:
    [result] = connector.write(obj, [WriteOp(OpKind.UPDATE, record_id, values, target_id=record_id)])
    outcome = "ok" if result.ok else result.message
    print(f"  {connector.manifest.label} {obj} {record_id} edited ({what}): {outcome}")


def _first(connector: Connector, obj: str, field: str, n: int) -> list[SourceRecord]:
    return next(iter(connector.read(ReadRequest(obj, (field,), batch_size=200)))).records[:n]


def show_results(what: str, records: list[Any], results: list[Any]) -> None:
    for record, result in zip(records, results, strict=True):
        print(f"  {what}: {record.id} {'ok' if result.ok else result.message}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connectors.demo")
    parser.add_argument("--keep", action="store_true", help="leave the sandboxes running at the end")
    args = parser.parse_args(argv)
    home = settings.home() / "demo"
    if home.exists():
        sandboxes.down(home)
        shutil.rmtree(home)
    os.environ["OFFICEBRIDGE_HOME"] = str(home)
    os.environ.pop("OFFICEBRIDGE_STATE_URL", None)
    mappings = Path(__file__).resolve().parent.parent / "mappings"
    try:
        say("Start the Salesforce and Odoo sandboxes, seeded with demo data")
        cli("sandbox", "up")
        os.environ.update(sandboxes.load_env(home))
        say("Validate the shipped mappings against the systems' own field lists")
        # the demo's own syncs: the folder also holds syncs of systems the demo starts no sandbox for
        cli(
            "validate",
            *(str(mappings / f"{name}.yaml") for name in [*SYNCS, *HUBSPOT_SYNCS]),
            str(mappings / PAIR),
        )
        say("Preview the Account sync: what would happen, nothing written")
        cli("preview", str(mappings / f"{SYNCS[0]}.yaml"), "--limit", "5")
        say("First run of every sync")
        run_all(mappings)
        say("Second run: nothing changed, so nothing is written")
        run_all(mappings)
        say("Edit a few source records")
        edit_sources()
        say("Third run, as Airflow runs it (`airflow dags test`): exactly those changes flow through")
        run_all_in_airflow(home)
        say("Beyond the CRM: HubSpot contacts become Salesforce Leads; unsubscribes follow, never undone")
        hubspot_to_leads(mappings)
        say("Open dead letters (records that could not be written, with the reason)")
        cli("dead-letters", "list")
        say(
            "Two-way: an Account edited in Salesforce and its company in Odoo; each edit arrives on the other"
        )
        two_way(mappings)
    finally:
        if not args.keep:
            sandboxes.down(home)
    print(f"\nState store: {home / 'state.db'}  (OFFICEBRIDGE_HOME={home})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
