"""A full Account sync by officebridge vs the script an ops engineer would write instead.

Both move the same freshly seeded Salesforce Accounts into an emptied Odoo
sandbox. The baseline is the obvious script: simple-salesforce's
`query_all_iter` over the mapped fields, then per record one OdooRPC `search`
by ref and one `create` or `write`, fields mapped by hand. officebridge runs the
shipped mapping through `run_mapping`. We count HTTP calls (both sandboxes'
request counters) and wall time, for the first run and for a rerun with nothing
changed (where the script rewrites everything). Results are checked before
they are reported: both must leave exactly one company per Account, with the
same values. Both sandboxes run in this process, so every request costs the
server's CPU as well as the client's; against real, remote systems each call
costs a network round trip too, which only widens the gap in calls.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import odoorpc
from simple_salesforce import Salesforce, SalesforceLogin

from benchmarks._sandboxes import MAPPING, Pair, sandboxes
from connectors.salesforce.session import VerifyingSession
from officebridge.state import StateStore
from officebridge.sync.runner import run_mapping

SOQL = (
    "SELECT Id, Name, BillingStreet, BillingCity, BillingPostalCode, BillingCountry, Phone, Website, "
    "Description, Type FROM Account"
)
CUSTOMER_TYPES = ("Customer - Direct", "Customer - Channel")


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def naive_sync(pair: Pair) -> int:
    """The hand-written sync: one query loop, then a search and a create/write per record."""
    sb = pair.sf
    session = VerifyingSession(str(sb.ca_file), timeout=120)
    session_id, instance = SalesforceLogin(
        username=sb.user.username,
        password=sb.user.password,
        security_token=sb.user.security_token,
        scratch_url=sb.url,
        session=session,
    )
    sf = Salesforce(session_id=session_id, instance=instance, session=session, version="59.0")
    odoo = odoorpc.ODOO(pair.odoo.host, port=pair.odoo.port, timeout=120)
    odoo.login(pair.odoo.credentials.database, pair.odoo.credentials.login, pair.odoo.credentials.password)
    partners = odoo.env["res.partner"]
    countries = {c["name"]: c["id"] for c in odoo.env["res.country"].search_read([], ["name"])}
    done = 0
    for acc in sf.query_all_iter(SOQL):
        website = _strip(acc["Website"])
        values = {
            "ref": acc["Id"],
            "name": _strip(acc["Name"]),
            "is_company": True,
            "street": _strip(acc["BillingStreet"]),
            "city": _strip(acc["BillingCity"]),
            "zip": _strip(acc["BillingPostalCode"]),
            "country_id": countries.get(acc["BillingCountry"]) or False,
            "phone": _strip(acc["Phone"]),
            "website": website.lower() if isinstance(website, str) else website,
            "comment": acc["Description"],
            "customer_rank": 1 if acc["Type"] in CUSTOMER_TYPES else 0,
        }
        values = {k: (False if v is None else v) for k, v in values.items()}
        found = partners.search([("ref", "=", acc["Id"])])
        if found:
            partners.write(found, values)
        else:
            partners.create(values)
        done += 1
    odoo.logout()
    session.close()
    return done


def timed(pair: Pair, fn: Any) -> tuple[float, int, Any]:
    pair.reset_stats()
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    return seconds, pair.requests(), result


def check(what: str, companies: dict[str, dict[str, Any]], ids: set[str]) -> None:
    if len(companies) != len(ids) or set(companies) != ids:
        missing, extra = len(ids - set(companies)), len(set(companies) - ids)
        raise AssertionError(
            f"{what}: {len(companies):,} companies in Odoo for {len(ids):,} Accounts "
            f"({missing:,} Accounts without a company, {extra:,} companies with an unknown ref)"
        )


def same(what: str, ours: dict[str, dict[str, Any]], theirs: dict[str, dict[str, Any]]) -> None:
    differ = [ref for ref in ours if ours[ref] != theirs.get(ref)]
    if differ:
        ref = differ[0]
        raise AssertionError(
            f"{what}: {len(differ):,} companies differ, e.g. {ref}: {ours[ref]} vs {theirs.get(ref)}"
        )


def measure(n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp, sandboxes(Path(tmp), n) as pair:
        ids = pair.account_ids()
        if len(ids) != n:
            raise AssertionError(f"seeded {len(ids):,} Accounts, asked for {n:,}")
        # The baseline goes first, so any warm-up (SQLite page cache, imports) favours it.
        naive1 = timed(pair, lambda: naive_sync(pair))
        naive_companies = pair.companies()
        check("naive script", naive_companies, ids)
        naive2 = timed(pair, lambda: naive_sync(pair))
        same("naive rerun vs first run", pair.companies(), naive_companies)

        pair.fresh_odoo()
        store = StateStore.open(f"sqlite:///{tmp}/state.db")
        try:
            ours1 = timed(pair, lambda: run_mapping(MAPPING, store))
            ours_companies = pair.companies()
            check("officebridge", ours_companies, ids)
            same("officebridge vs naive script", ours_companies, naive_companies)
            ours2 = timed(pair, lambda: run_mapping(MAPPING, store))
            same("officebridge rerun vs first run", pair.companies(), ours_companies)
        finally:
            store.close()
    for label, (_, _, result) in (("first", ours1), ("second", ours2)):
        if result.status != "succeeded":
            raise AssertionError(f"officebridge {label} run ended {result.status}: {result.error}")
    if ours1[2].counts.created != n:
        raise AssertionError(f"officebridge first run created {ours1[2].counts.created:,}, expected {n:,}")
    if ours2[2].counts.created or ours2[2].counts.updated:
        raise AssertionError(f"officebridge rerun wrote records: {ours2[2].counts}")
    return {"n": n, "naive1": naive1, "naive2": naive2, "ours1": ours1, "ours2": ours2}


def _row(
    name: str, base: str, cand: str, ratio: float, *, aim: str, goal: float, note: str = ""
) -> dict[str, Any]:
    verdict = "ok" if ratio >= goal else "MISSED"
    note = f"{verdict}; {note}" if note else verdict
    return {"name": name, "baseline": base, "candidate": cand, "ratio": ratio, "aim": aim, "note": note}


def rows(m: dict[str, Any]) -> list[dict[str, Any]]:
    n, label = m["n"], f"{m['n'] // 1000}k"
    reread = m["ours2"][2].counts.read
    runs = [
        ("", "naive1", "ours1", f"{n:,} companies created, checked equal"),
        (" rerun (no change)", "naive2", "ours2",
         f"officebridge re-read {reread:,} (watermark overlap) and wrote 0; the script rewrote {n:,}"),
    ]  # fmt: skip
    out = []
    for run, naive_key, ours_key, note in runs:
        (nt, nc, _), (ot, oc, _) = m[naive_key], m[ours_key]
        name = f"account sync {label}{run}"
        out.append(_row(f"{name}: HTTP calls", f"{nc:,} calls naive script", f"{oc:,} calls officebridge",
                        nc / max(oc, 1), aim=">= 10x fewer", goal=10, note=note))  # fmt: skip
        base, cand = (
            f"{nt:.2f} s naive ({n / nt:,.0f} rec/s)",
            f"{ot:.2f} s officebridge ({n / ot:,.0f} rec/s)",
        )
        out.append(_row(f"{name}: wall time", base, cand, nt / ot, aim=">= 5x faster", goal=5))
    return out


def run(quick: bool = False) -> list[dict[str, Any]]:
    return rows(measure(1_000 if quick else 10_000))


if __name__ == "__main__":
    from benchmarks.__main__ import format_table

    print(format_table(run(quick="--quick" in sys.argv)))
