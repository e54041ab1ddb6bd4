"""Run every benchmark and print one table of ratios against same-run baselines.

`python -m benchmarks [--quick] [names...]`. Each module exposes
`run(quick: bool) -> list[dict]` with rows: name, baseline, candidate, ratio, aim, note.
Results are also written to benchmarks/out/results.json and results.md.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

MODULES = ["mapping", "expressions", "sync", "memory", "quality", "airflow"]
OUT = Path(__file__).parent / "out"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("names", nargs="*", default=MODULES, help=f"which benchmarks ({', '.join(MODULES)})")
    parser.add_argument("--quick", action="store_true", help="smaller inputs, for a smoke run")
    args = parser.parse_args(argv)
    rows: list[dict[str, object]] = []
    for name in args.names:
        started = time.perf_counter()
        module = importlib.import_module(f"benchmarks.{name}")
        rows.extend(module.run(quick=args.quick))
        print(f"# {name} took {time.perf_counter() - started:.1f}s", file=sys.stderr)
    table = format_table(rows)
    print(table)
    OUT.mkdir(exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(rows, indent=2, default=str))
    (OUT / "results.md").write_text(table + "\n")
    return 0


def format_table(rows: list[dict[str, object]]) -> str:
    header = ["benchmark", "baseline", "candidate", "ratio", "aim", "note"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        ratio = row.get("ratio")
        cells = [
            str(row.get("name", "")),
            str(row.get("baseline", "")),
            str(row.get("candidate", "")),
            f"{ratio:.2f}x" if isinstance(ratio, float) else str(ratio or ""),
            str(row.get("aim", "")),
            str(row.get("note", "")),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
