"""Run every benchmark and print one table of ratios against same-run baselines.

`python -m benchmarks [--quick] [--large] [--million] [names...]`. Each module exposes
`run(quick: bool, ...) -> list[dict]` with rows: name, baseline, candidate, ratio, aim, note;
`--large` (100k) and `--million` (1M) reach the modules whose `run` takes them (opt-in: slow).
Results are also written to benchmarks/out/results.json and results.md.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import sys
import time
from pathlib import Path

MODULES = [
    "mapping",
    "expressions",
    "engine",
    "sync",
    "dead_letters",
    "memory",
    "quality",
    "airflow",
    "bulk_writes",
]
OUT = Path(__file__).parent / "out"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("names", nargs="*", default=MODULES, help=f"which benchmarks ({', '.join(MODULES)})")
    parser.add_argument("--quick", action="store_true", help="smaller inputs, for a smoke run")
    parser.add_argument("--large", action="store_true", help="add the 100k rows (minutes)")
    parser.add_argument("--million", action="store_true", help="add the 1M rows (slow)")
    args = parser.parse_args(argv)
    rows: list[dict[str, object]] = []
    for name in args.names:
        started = time.perf_counter()
        module = importlib.import_module(f"benchmarks.{name}")
        rows.extend(module.run(**_options(module, args)))
        print(f"# {name} took {time.perf_counter() - started:.1f}s", file=sys.stderr)
    table = format_table(rows)
    print(table)
    OUT.mkdir(exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(rows, indent=2, default=str))
    (OUT / "results.md").write_text(table + "\n")
    return 0


def _options(module: object, args: argparse.Namespace) -> dict[str, bool]:
    """The flags this module's `run` accepts."""
    accepted = inspect.signature(module.run).parameters  # type: ignore[attr-defined]
    flags = {"quick": args.quick, "large": args.large, "million": args.million}
    return {name: value for name, value in flags.items() if name in accepted}


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
