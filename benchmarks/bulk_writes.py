"""Writing N new Accounts into Salesforce in a real sync: `bulk: auto` vs `bulk: never`.

The same sync (the in-memory reference system's accounts -> Salesforce Account, matched by
External_Id__c) runs into an emptied Salesforce sandbox with a fresh state store each time,
the connection's `extra.bulk` the only difference. `never` is the best REST can do: sObject
Collections of 200 (the baseline); `auto` hands every write call of at least
`bulk_write_threshold` (2,000) creates to one Bulk API 2.0 ingest job, which the manifest's
`max_write_call` now lets the engine send. Two read page sizes: the default 2,000 (each full page
is one write call: one job per page) and one page of N (one job in all).

Measured A B A B in this one process, medians of the repetitions: wall time of `run_mapping` and
the HTTP calls the Salesforce sandbox answered (logins, describes, match lookups and writes: every
one counts against the org's daily allocation). Each run is checked before it is reported: N
Accounts in Salesforce, one per external id, N links. The sandbox serves from this process (one
interpreter: its CPU is the client's too), and its jobs finish at once, where a real org queues a
job for seconds to minutes: the calls are the claim, the wall time is this sandbox's.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from connectors.salesforce.sandbox import SalesforceSandbox
from officebridge.state import StateStore
from officebridge.sync.run import RunOptions
from officebridge.sync.runner import run_mapping
from officebridge.testing.memory import MemorySystem, forget_system, memory_system

SYNC = "bench_accounts_to_salesforce"
MAPPING = f"""\
version: 1
name: {SYNC}
source: {{system: memory, connection: crm_bench, object: account, cursor: updated_at}}
target: {{system: salesforce, object: Account, match: External_Id__c}}
fields:
  External_Id__c: external_ref
  Name: name
  Site: {{constant: bench}}
"""
_ENV = ("AIRFLOW_CONN_SALESFORCE_DEFAULT", "AIRFLOW_CONN_CRM_BENCH", "OFFICEBRIDGE_NO_AIRFLOW_LOOKUP")


@contextmanager
def _systems(home: Path, records: int) -> Iterator[tuple[SalesforceSandbox, MemorySystem]]:
    sf = SalesforceSandbox(home / "salesforce")
    sf.reset()
    crm = memory_system(f"bench-{uuid.uuid4().hex[:8]}")
    crm.insert("account", [{"name": f"Bench {i:06d}", "external_ref": f"BN-{i:06d}"} for i in range(records)])
    saved = {k: os.environ.get(k) for k in _ENV}
    sf.start()
    try:
        os.environ["AIRFLOW_CONN_CRM_BENCH"] = crm.connection_value()
        os.environ["OFFICEBRIDGE_NO_AIRFLOW_LOOKUP"] = "1"
        yield sf, crm
    finally:
        sf.stop()
        forget_system(crm.host)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _once(sf: SalesforceSandbox, home: Path, mode: str, records: int, read_batch: int) -> tuple[float, int]:
    """One initial load into an empty Salesforce; (seconds, Salesforce HTTP calls), checked."""
    data = json.loads(sf.connection_value())
    data["extra"]["bulk"] = mode
    os.environ["AIRFLOW_CONN_SALESFORCE_DEFAULT"] = json.dumps(data)
    sf.reset()
    sf.reset_stats()
    mapping = home / f"{SYNC}.yaml"
    mapping.write_text(MAPPING)
    db = home / f"state-{uuid.uuid4().hex[:8]}.db"
    store = StateStore.open(f"sqlite:///{db}")
    try:
        started = time.perf_counter()
        result = run_mapping(mapping, store, RunOptions(read_batch=read_batch, trigger="bench"))
        seconds = time.perf_counter() - started
        calls = int(sf.stats()["requests"])
        links = sum(len(page) for page in store.iter_links(SYNC))
    finally:
        store.close()
        db.unlink(missing_ok=True)
    held = sf.store.query(
        'SELECT COUNT(*), COUNT(DISTINCT "External_Id__c") FROM "Account" WHERE "Site" = \'bench\''
    )[0]
    if result.status != "succeeded" or result.counts.created != records or links != records:
        raise AssertionError(f"{mode}: {result.status} {result.counts} {links} links: {result.error}")
    if tuple(held) != (records, records):
        raise AssertionError(f"{mode}: Salesforce holds {held[0]} Accounts, {held[1]} external ids")
    return seconds, calls


def measure(records: int, read_batch: int, repeats: int) -> dict[str, Any]:
    times: dict[str, list[float]] = {"never": [], "auto": []}
    calls: dict[str, list[int]] = {"never": [], "auto": []}
    with tempfile.TemporaryDirectory(prefix="bench-bulk-") as tmp, _systems(Path(tmp), records) as (sf, _):
        _once(sf, Path(tmp), "auto", records, read_batch)  # warm: imports and first-call costs
        for _ in range(repeats):
            for mode in ("never", "auto"):
                seconds, n = _once(sf, Path(tmp), mode, records, read_batch)
                times[mode].append(seconds)
                calls[mode].append(n)
    return {"records": records, "read_batch": read_batch, "times": times, "calls": calls}


def rows(m: dict[str, Any]) -> list[dict[str, Any]]:
    never_s, auto_s = statistics.median(m["times"]["never"]), statistics.median(m["times"]["auto"])
    never_c, auto_c = statistics.median(m["calls"]["never"]), statistics.median(m["calls"]["auto"])
    reps = len(m["times"]["never"])
    name = f"sync of {m['records']:,} new Accounts into Salesforce, read pages of {m['read_batch']:,}"
    note = f"median of {reps} each, interleaved; bulk: never = composite 200 per call"
    return [
        {
            "name": f"{name}: HTTP calls",
            "baseline": f"{never_c:.0f} calls (never)",
            "candidate": f"{auto_c:.0f} calls (auto)",
            "ratio": never_c / auto_c,
            "aim": "fewer calls (> 1x)",
            "note": ("ok; " if auto_c < never_c else "MISSED; ") + "ratio = never / auto",
        },
        {
            "name": f"{name}: wall time",
            "baseline": f"{never_s:.2f} s (never)",
            "candidate": f"{auto_s:.2f} s (auto)",
            "ratio": never_s / auto_s,
            "aim": "report (a real org queues jobs)",
            "note": f"{note}; ratio = never / auto, > 1x: Bulk faster here",
        },
    ]


def run(quick: bool = False) -> list[dict[str, Any]]:
    records = 4000 if quick else 10_000
    repeats = 2 if quick else 5
    out = rows(measure(records, 2000, repeats))
    return out + rows(measure(records, records, repeats))


if __name__ == "__main__":
    from benchmarks.__main__ import format_table

    print(format_table(run(quick="--quick" in sys.argv)))
