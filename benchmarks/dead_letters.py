"""What 100,000 open dead letters cost the next run: it should be (almost) nothing.

A small Account sync (44 records) runs against two state stores that differ
only in their dead letters: one has none, the other 100,000 open letters of
the same sync (other records, as a long outage of the target would leave).
Both stores first run the sync once (links in place), then each runs again,
interleaved A B A B; both read the same records (the watermark's overlap
window) and find them unchanged. The claim is the difference of medians
(same run), plus the Python allocation peak of one run of each (tracemalloc), since the engine
once loaded every open letter at run start.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from benchmarks._sandboxes import MAPPING, sandboxes
from officebridge.state import NewDeadLetter, StateStore
from officebridge.sync.runner import run_mapping

SYNC = "salesforce_account_to_odoo"


def _letters(store: StateStore, count: int) -> None:
    run_id = store.start_run(SYNC, trigger="bench")
    step = 5000
    for start in range(0, count, step):
        letters = [
            NewDeadLetter(f"GONE{i:08d}", "write", "WRITE_FAILED", "the target refused it", {"i": i})
            for i in range(start, min(count, start + step))
        ]
        store.commit_batch(SYNC, run_id, dead_letters=letters)
    store.finish_run(run_id, status="partial")


def _run(store: StateStore) -> tuple[float, Any]:
    started = time.perf_counter()
    result = run_mapping(MAPPING, store)
    seconds = time.perf_counter() - started
    if result.status != "succeeded":
        raise AssertionError(f"run ended {result.status}: {result.error}")
    return seconds, result


def _peak(store: StateStore) -> float:
    tracemalloc.start()
    try:
        _run(store)
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def measure(records: int, letters: int, repeats: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-dl-") as tmp, sandboxes(Path(tmp), records) as pair:
        clean = StateStore.open(f"sqlite:///{tmp}/clean.db")
        loaded = StateStore.open(f"sqlite:///{tmp}/letters.db")
        try:
            _letters(loaded, letters)
            for store in (clean, loaded):
                pair.fresh_odoo()
                _run(store)  # links and watermark in place: what follows are ordinary reruns
            times: dict[str, list[float]] = {"clean": [], "letters": []}
            for _ in range(repeats):
                for key, store in (("clean", clean), ("letters", loaded)):
                    seconds, result = _run(store)
                    times[key].append(seconds)
            open_after = len(loaded.dead_letters(SYNC, "open", limit=letters + 1))
            peaks = {"clean": _peak(clean), "letters": _peak(loaded)}
            read = result.counts.read
        finally:
            clean.close()
            loaded.close()
    if open_after != letters:
        raise AssertionError(f"{open_after:,} open letters after the runs, seeded {letters:,}")
    return {"times": times, "peaks": peaks, "read": read, "records": records, "letters": letters}


def rows(m: dict[str, Any]) -> list[dict[str, Any]]:
    clean, loaded = statistics.median(m["times"]["clean"]), statistics.median(m["times"]["letters"])
    extra = loaded - clean
    reps = len(m["times"]["clean"])
    name = f"{m['letters']:,} open dead letters: the next run ({m['records']} records)"
    return [
        {
            "name": f"{name}, extra wall time",
            "baseline": f"{clean:.3f} s with none",
            "candidate": f"{loaded:.3f} s with {m['letters']:,}",
            "ratio": loaded / clean,
            "aim": "< 0.5 s extra",
            "note": f"{'ok' if extra < 0.5 else 'MISSED'}; {extra * 1000:+.0f} ms, median of {reps} each, "
            "interleaved",
        },
        {
            "name": f"{name}, Python allocation peak",
            "baseline": f"{m['peaks']['clean']:.1f} MB with none",
            "candidate": f"{m['peaks']['letters']:.1f} MB with {m['letters']:,}",
            "ratio": m["peaks"]["letters"] / max(m["peaks"]["clean"], 0.001),
            "aim": "flat (<= 1.2x)",
            "note": "ok" if m["peaks"]["letters"] <= 1.2 * m["peaks"]["clean"] else "MISSED",
        },
    ]


def run(quick: bool = False) -> list[dict[str, Any]]:
    return rows(measure(44, 10_000 if quick else 100_000, 3 if quick else 5))


if __name__ == "__main__":
    from benchmarks.__main__ import format_table

    print(format_table(run(quick="--quick" in sys.argv)))
