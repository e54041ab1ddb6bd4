"""`make demo-tryton`: the shipped Tryton syncs against a REAL trytond and the Salesforce sandbox.

The same story style as `make demo` (`connectors/demo.py`): every step is an
`officebridge` command an analyst can type. No sandbox stands in for Tryton:
the launcher (`connectors.tryton.server`) starts trytond on a copy of the
cached template database (built once, about a minute; later starts take
seconds). Data lives in $OFFICEBRIDGE_HOME/demo-tryton (wiped at the start);
the template cache stays where it was, so the wipe does not rebuild it.
Everything started here is stopped at the end unless --keep is given.

Ports: `OFFICEBRIDGE_PORTS="tryton=N"` moves trytond. `officebridge.cli.ports`
knows only the sandboxes and Airflow, so the `tryton=` entry is taken out here
and the rest is left to `officebridge sandbox up`, which parses it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from connectors.demo import cli, say
from connectors.tryton.connector import TrytonConnector
from connectors.tryton.server import TrytonServer, cache_dir, template, versions_key
from officebridge import sandboxes, settings
from officebridge.cli import ports
from officebridge.connections import parse_connection, resolve_connection
from officebridge.connector import OpKind, ReadRequest, WriteOp, open_connector
from officebridge.errors import ConfigError

TO_TRYTON = [
    "salesforce_account_to_tryton",
    "salesforce_account_to_tryton_address",
    "salesforce_opportunity_to_tryton_sale",
]
INVOICES = "tryton_invoice_to_salesforce"
CONN_VAR = "AIRFLOW_CONN_TRYTON_DEFAULT"


def tryton_port() -> int:
    """The `tryton=N` entry of OFFICEBRIDGE_PORTS (0: a free port); a bad variable or a taken port
    is refused now, before anything starts."""
    port = ports.parse().get("tryton", 0)
    if port:
        ports.refuse_taken("tryton", port)
    return port


def start_tryton(workdir: Path, port: int) -> TrytonServer:
    cached = (cache_dir() / versions_key() / "officebridge.sqlite").exists()
    began = time.monotonic()
    template()  # built here when missing, so the build and the start are timed apart
    built_in = time.monotonic() - began
    server = TrytonServer(workdir, port=port).start()
    where = "from the cached template" if cached else f"after building the template ({built_in:.0f}s)"
    print(f"  trytond answers at {server.url} in {server.started_in:.1f}s, {where}", flush=True)
    print(f"  (its log: {server.log}; template cache: {cache_dir()})", flush=True)
    return server


def post_invoice(tryton: TrytonConnector) -> str:
    """Finance invoices one won deal: a customer invoice referencing its Opportunity, posted in Tryton."""
    sales = next(iter(tryton.read(ReadRequest("sale.sale", ("reference", "party"),
                                              filter=[["reference", "like", "006%"]])))).records  # fmt: skip
    sale = sales[0]
    party = int(str(sale.fields["party"]))
    receivable = tryton.lookup("account.account", "code", ["1.2.1"])["1.2.1"]
    revenue = tryton.lookup("account.account", "code", ["4.1.1"])["4.1.1"]
    journal = tryton.lookup("account.journal", "type", ["revenue"])["revenue"]
    [address] = tryton.lookup("party.address", "party", [party]).values()
    line = {"description": "Consulting", "quantity": 3, "unit_price": "120.00", "account": int(revenue)}
    values: dict[str, Any] = {
        "type": "out", "party": party, "account": int(receivable), "invoice_address": int(address),
        "journal": int(journal), "reference": sale.fields["reference"], "lines": [["create", [line]]],
    }  # fmt: skip
    [made] = tryton.write("account.invoice", [WriteOp(OpKind.CREATE, "demo-invoice", values)])
    if not made.ok:
        raise SystemExit(f"demo: the invoice could not be created: {made.message}")
    tryton.call("account.invoice", "post", [[int(str(made.target_id))]])
    reference = str(sale.fields["reference"])
    print(f"  Tryton invoice {made.target_id} posted for party {party}, Opportunity {reference}")
    return reference


def show_what_moved(tryton: TrytonConnector, opportunity: str) -> None:
    def count(model: str, field: str, prefix: str) -> int:
        request = ReadRequest(model, (field,), filter=[[field, "like", f"{prefix}%"]])
        return sum(len(page.records) for page in tryton.read(request))

    print(f"  Tryton holds {count('party.party', 'code', '001')} parties made of Salesforce Accounts")
    print(f"  and {count('sale.sale', 'reference', '006')} draft sales made of won Opportunities")
    sf = open_connector("salesforce", resolve_connection("salesforce_default"))
    request = ReadRequest("Opportunity", ("Name", "NextStep"), batch_size=2000)
    deal = next(r for page in sf.read(request) for r in page.records if r.id == opportunity)
    sf.close()
    print(f"  Salesforce Opportunity {deal.fields['Name']!r}: Next Step = {deal.fields['NextStep']!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connectors.tryton.demo_run")
    parser.add_argument("--keep", action="store_true", help="leave trytond and the sandboxes running")
    args = parser.parse_args(argv)
    port = tryton_port()
    os.environ.setdefault("OFFICEBRIDGE_TRYTON_CACHE", str(cache_dir()))  # outside the wiped demo home
    home = settings.home() / "demo-tryton"
    if home.exists():
        sandboxes.down(home)
        shutil.rmtree(home)
    (home / "tryton").mkdir(parents=True)
    os.environ["OFFICEBRIDGE_HOME"] = str(home)
    os.environ.pop("OFFICEBRIDGE_STATE_URL", None)
    mappings = Path(__file__).resolve().parents[2] / "mappings"
    server: TrytonServer | None = None
    try:
        say("Start a real Tryton server (trytond on SQLite) and the sandboxes (Salesforce is the one used)")
        server = start_tryton(home / "tryton", port)
        cli("sandbox", "up")
        os.environ.update(sandboxes.load_env(home))
        os.environ[CONN_VAR] = server.connection_value()
        say("Validate the shipped Tryton mappings against both systems' own field lists")
        cli("validate", *(str(mappings / f"{name}.yaml") for name in [*TO_TRYTON, INVOICES]))
        say("First run: Accounts become parties with their address, won Opportunities become sales")
        for name in TO_TRYTON:
            cli("run", str(mappings / f"{name}.yaml"), ok=(0, 3))
        say("Finance posts a customer invoice in Tryton for one of those sales")
        tryton = TrytonConnector(parse_connection("tryton_default", server.connection_value()))
        opportunity = post_invoice(tryton)
        say("The invoice's amount due goes back onto its Salesforce Opportunity")
        cli("run", str(mappings / f"{INVOICES}.yaml"), ok=(0, 3))
        say("Second run of all four: nothing changed, so nothing is written")
        for name in [*TO_TRYTON, INVOICES]:
            cli("run", str(mappings / f"{name}.yaml"), ok=(0, 3))
        say("What moved")
        show_what_moved(tryton, opportunity)
        tryton.close()
        cli("status")
    finally:
        if not args.keep:
            if server is not None:
                server.stop()
            sandboxes.down(home)
    print(f"\nState store: {home / 'state.db'}  (OFFICEBRIDGE_HOME={home})")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ConfigError as exc:  # a bad OFFICEBRIDGE_PORTS or a taken port: the message says the fix
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
