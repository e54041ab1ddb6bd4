"""Peak memory of an Account sync as the input grows tenfold: it should stay flat.

The engine holds one read batch at a time (see officebridge/sync/run.py), so
a 100k sync should need about what a 10k one needs. Each sync runs in a fresh
child process (`python -m benchmarks.memory --child`) while both sandboxes
serve from this process, so only the sync is measured. Per size the child runs
twice against a freshly emptied Odoo: once plain, for the peak resident set
(VmHWM: what the operating system sees, interpreter and imports included;
not ru_maxrss, which a child inherits from its parent's memory at exec) and wall time, and
once under tracemalloc, for the peak of Python allocations made by the sync
itself (imports done before tracing starts; tracing slows the run, and its own
bookkeeping would inflate the resident set, hence the separate plain run).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._sandboxes import MAPPING, Pair, sandboxes

ROOT = Path(__file__).resolve().parent.parent


def peak_rss_kb() -> int:
    """This process's own peak resident set in KiB (VmHWM), not ru_maxrss.

    On Linux, exec copies the high-water RSS of the address space it replaces
    into the new program's ru_maxrss; subprocess starts children with vfork or
    posix_spawn, so that address space is the parent's: here the process that
    serves both sandboxes, whose memory grows with the seeded input. VmHWM
    belongs to the child's own address space only. ru_maxrss is the fallback
    where /proc is missing.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(state_url: str, trace: bool) -> dict[str, Any]:
    """Run the shipped Account sync once in this (fresh) process and report its memory."""
    import tracemalloc  # noqa: PLC0415

    from officebridge.state import StateStore  # noqa: PLC0415
    from officebridge.sync.runner import run_mapping  # noqa: PLC0415

    store = StateStore.open(state_url)
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    result = run_mapping(MAPPING, store)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    tracemalloc.stop()
    store.close()
    return {
        "status": result.status,
        "created": result.counts.created,
        "failed": result.counts.failed,
        "seconds": seconds,
        "peak": peak,
        "maxrss_kb": peak_rss_kb(),
        "ru_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def sync_in_child(pair: Pair, tmp: Path, n: int, trace: bool) -> dict[str, Any]:
    pair.fresh_odoo()
    db = tmp / f"state-{n}-{'traced' if trace else 'plain'}.db"
    db.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "benchmarks.memory", "--child", f"sqlite:///{db}"] + (
        ["--trace"] if trace else []
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"sync child for {n:,} accounts exited {done.returncode}:\n{done.stderr[-3000:]}")
    out: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if out["status"] != "succeeded" or out["created"] != n:
        raise AssertionError(f"sync of {n:,} accounts: {out}")
    companies = pair.companies()
    if set(companies) != pair.account_ids():
        raise AssertionError(f"sync of {n:,} accounts left {len(companies):,} companies with the wrong refs")
    return out


def measure(small: int, large: int, *, trace_large: bool = True) -> dict[int, dict[str, Any]]:
    results: dict[int, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp, sandboxes(Path(tmp), small) as pair:
        for n in (small, large):
            if n != small:
                pair.sf.reset()
                pair.sf.seed_accounts_only(n, seed=7)
            if len(pair.account_ids()) != n:
                raise AssertionError(f"Salesforce sandbox does not hold {n:,} Accounts")
            plain = sync_in_child(pair, Path(tmp), n, trace=False)
            traced = sync_in_child(pair, Path(tmp), n, trace=True) if trace_large or n == small else None
            results[n] = {"plain": plain, "traced": traced}
            print(f"# memory: {n:,} accounts: {plain} / {traced}", file=sys.stderr)
    return results


def _mb(value: float) -> str:
    return f"{value / 1e6:.1f} MB"


def rows(results: dict[int, dict[str, Any]], small: int, large: int) -> list[dict[str, Any]]:
    s, big = results[small], results[large]
    label = f"{small // 1000}k -> {large // 1000}k" if large < 1_000_000 else f"{small // 1000}k -> 1M"
    rss_ratio = big["plain"]["maxrss_kb"] / s["plain"]["maxrss_kb"]
    time_note = f"plain runs took {s['plain']['seconds']:.1f} s and {big['plain']['seconds']:.1f} s"
    out = []
    if big["traced"] is not None:
        peak_ratio = big["traced"]["peak"] / s["traced"]["peak"]
        out.append(
            {
                "name": f"sync memory {label}: tracemalloc peak",
                "baseline": f"{_mb(s['traced']['peak'])} at {small:,}",
                "candidate": f"{_mb(big['traced']['peak'])} at {large:,}",
                "ratio": peak_ratio,
                "aim": "flat (<= 1.5x) while the input grows 10x",
                "note": ("ok" if peak_ratio <= 1.5 else "MISSED") + "; Python allocations during the sync",
            }
        )
    goal = 1.2 if large >= 1_000_000 else 1.5
    out.append(
        {
            "name": f"sync memory {label}: peak RSS (VmHWM)",
            "baseline": f"{_mb(s['plain']['maxrss_kb'] * 1024)} at {small:,}",
            "candidate": f"{_mb(big['plain']['maxrss_kb'] * 1024)} at {large:,}",
            "ratio": rss_ratio,
            "aim": f"flat (<= {goal}x) while the input grows {large // small}x",
            "note": ("ok" if rss_ratio <= goal else "MISSED") + f"; whole child process; {time_note}",
        }
    )
    return out


def run(quick: bool = False, million: bool = False) -> list[dict[str, Any]]:
    """10k -> 100k; --million: 10k -> 1M instead (peak RSS only at 1M: tracing 1M records takes long)."""
    if million:
        return rows(measure(10_000, 1_000_000, trace_large=False), 10_000, 1_000_000)
    small, large = (1_000, 10_000) if quick else (10_000, 100_000)
    return rows(measure(small, large), small, large)


if __name__ == "__main__":
    if "--child" in sys.argv:
        url = sys.argv[sys.argv.index("--child") + 1]
        print(json.dumps(child(url, trace="--trace" in sys.argv)))
    else:
        from benchmarks.__main__ import format_table

        print(format_table(run(quick="--quick" in sys.argv, million="--million" in sys.argv)))
