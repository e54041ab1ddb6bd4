"""What data-quality checks cost: record validation per record, GX batch checks per batch.

Record checks run on every record written, so their cost is measured against
the fastest honest alternatives on the same 20-field schema and the same valid
records: the compiled fastjsonschema validator alone (our fast path wraps it;
aim: within 1.5x), jsonschema's Draft202012Validator.is_valid (what we use only
for failing records) and hand-written checks. Batch checks are measured as one
run uses them (one GX context and suite, one DataFrame and one validate call
per batch) against plain-Python code that finds the same unexpected rows; GX's
import and context set-up are paid once per run and reported separately.
"""

from __future__ import annotations

import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import jsonschema

from officebridge.quality.records import RecordValidator
from officebridge.quality.spec import ExpectationSpec, QualitySpec

TYPES = ["Customer - Direct", "Customer - Channel", "Partner", "Other"]
EMAIL = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"


def schema() -> dict[str, Any]:
    text = {"type": "string", "maxLength": 80}
    opt_text = {"type": ["string", "null"], "maxLength": 80}
    props: dict[str, Any] = {
        "ref": {"type": "string", "pattern": "^001[A-Za-z0-9]{15}$"},
        "name": {"type": "string", "minLength": 1, "maxLength": 255},
        "is_company": {"type": "boolean"},
        "email": {"type": ["string", "null"], "pattern": EMAIL},
        "type": {"enum": TYPES},
        "customer_rank": {"type": "integer", "minimum": 0},
        "credit_limit": {"type": ["number", "null"], "minimum": 0},
        "country_id": {"type": ["integer", "null"], "minimum": 1},
        "street": opt_text,
        "street2": opt_text,
        "city": opt_text,
        "zip": {"type": ["string", "null"], "maxLength": 24},
        "phone": opt_text,
        "mobile": opt_text,
        "website": {"type": ["string", "null"], "pattern": "^https?://"},
        "function": opt_text,
        "comment": {"type": ["string", "null"]},
        "lang": text,
        "tz": text,
        "employees": {"type": "integer", "minimum": 0, "maximum": 1_000_000},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["ref", "name", "is_company", "type", "customer_rank", "lang", "tz", "employees"],
        "properties": props,
        "additionalProperties": False,
    }


def records(n: int, seed: int = 5) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        out.append(
            {
                "ref": f"001{i:015d}",
                "name": f"Company {i}",
                "is_company": True,
                "email": None if i % 5 == 0 else f"info{i}@example.com",
                "type": rnd.choice(TYPES),
                "customer_rank": rnd.randint(0, 3),
                "credit_limit": rnd.choice([None, 1000.0, 25000.5]),
                "country_id": rnd.choice([None, 16, 24, 75]),
                "street": f"{i} Main Street",
                "street2": None,
                "city": "London",
                "zip": "EC1A 1BB",
                "phone": "+44 20 7946 0000",
                "mobile": None,
                "website": f"https://www.c{i}.example",
                "function": None,
                "comment": None,
                "lang": "en_US",
                "tz": "Europe/London",
                "employees": rnd.randint(1, 5000),
            }
        )
    return out


_REF = re.compile(r"^001[A-Za-z0-9]{15}$")
_EMAIL = re.compile(EMAIL)
_WEB = re.compile(r"^https?://")
_OPT = ("street", "street2", "city", "phone", "mobile", "function")


def hand_written(r: dict[str, Any]) -> bool:  # noqa: PLR0911 - one early exit per rule is the honest baseline
    """The same rules as `schema()`, written out by hand (the fastest honest baseline)."""
    if len(r) > 20 or not r.keys() <= PROPS:
        return False
    ref, name = r.get("ref"), r.get("name")
    if (
        not isinstance(ref, str)
        or not _REF.match(ref)
        or not isinstance(name, str)
        or not 1 <= len(name) <= 255
    ):
        return False
    if type(r.get("is_company")) is not bool or r.get("type") not in TYPES:
        return False
    rank, emp = r.get("customer_rank"), r.get("employees")
    if type(rank) is not int or rank < 0 or type(emp) is not int or not 0 <= emp <= 1_000_000:
        return False
    email, site = r.get("email"), r.get("website")
    if (email is not None and not (isinstance(email, str) and _EMAIL.match(email))) or (
        site is not None and not (isinstance(site, str) and _WEB.match(site))
    ):
        return False
    for key in _OPT:
        v = r.get(key)
        if v is not None and (not isinstance(v, str) or len(v) > 80):
            return False
    for key in ("lang", "tz"):
        v = r.get(key)
        if not isinstance(v, str) or len(v) > 80:
            return False
    return _numbers_ok(r)


def _numbers_ok(r: dict[str, Any]) -> bool:
    limit, country, zip_, comment = r.get("credit_limit"), r.get("country_id"), r.get("zip"), r.get("comment")
    if limit is not None and (type(limit) not in (int, float) or limit < 0):
        return False
    if country is not None and (type(country) is not int or country < 1):
        return False
    if zip_ is not None and (not isinstance(zip_, str) or len(zip_) > 24):
        return False
    return comment is None or isinstance(comment, str)


PROPS = frozenset(schema()["properties"])


def _per_record(check: Callable[[dict[str, Any]], Any], data: list[dict[str, Any]], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for r in data:
            check(r)
        best = min(best, time.perf_counter() - started)
    return best / len(data) * 1e6


def _interleaved(
    checks: dict[str, Callable[[dict[str, Any]], Any]], data: list[dict[str, Any]], repeat: int = 7
) -> dict[str, float]:
    """Median us/record of each check, timed round-robin (A B C A B C ...) in this process."""
    times: dict[str, list[float]] = {name: [] for name in checks}
    for _ in range(repeat):
        for name, check in checks.items():
            started = time.perf_counter()
            for r in data:
                check(r)
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(t) / len(data) * 1e6 for name, t in times.items()}


def record_rows(n: int) -> list[dict[str, Any]]:
    data = records(n)
    ours = RecordValidator(schema())
    full = jsonschema.Draft202012Validator(schema())
    fast = ours.fast
    for r in data[:200]:
        assert ours.check(r) is None and full.is_valid(r) and hand_written(r), r
    bad = [dict(r, email="not-an-email", employees=-1) for r in data[: max(200, n // 50)]]
    assert all(ours.check(r) is not None and not hand_written(r) for r in bad)
    timed = _interleaved({"ours": ours.check, "fast": fast, "js": full.is_valid, "hand": hand_written}, data)
    t_ours, t_fast, t_js, t_hand = timed["ours"], timed["fast"], timed["js"], timed["hand"]
    t_fail = _per_record(ours.check, bad, repeat=1)
    wrapper = (
        "a wrapper cannot beat the function it wraps: below 1.0x is noise"
        if t_ours < t_fast
        else "medians, interleaved"
    )
    us = "us/record"
    return [
        {
            "name": "record schema (20 fields), valid records: ours vs fastjsonschema",
            "baseline": f"{t_fast:.2f} {us}",
            "candidate": f"{t_ours:.2f} {us}",
            "ratio": t_ours / t_fast,
            "aim": "<= 1.5x",
            "note": ("ok" if t_ours <= 1.5 * t_fast else "MISSED") + f"; {wrapper}",
        },
        {
            "name": "record schema, valid records: ours vs jsonschema is_valid",
            "baseline": f"{t_js:.2f} {us}",
            "candidate": f"{t_ours:.2f} {us}",
            "ratio": t_ours / t_js,
            "aim": "< 1.0x",
            "note": "ok" if t_ours < t_js else "MISSED",
        },
        {
            "name": "record schema, valid records: ours vs hand-written checks",
            "baseline": f"{t_hand:.2f} {us}",
            "candidate": f"{t_ours:.2f} {us}",
            "ratio": t_ours / t_hand,
            "aim": "informative",
            "note": "the price of a declarative schema",
        },
        {
            "name": "record schema, failing records: ours (fast try + jsonschema message) vs valid path",
            "baseline": f"{t_ours:.2f} {us}",
            "candidate": f"{t_fail:.2f} {us}",
            "ratio": t_fail / t_ours,
            "aim": "informative",
            "note": f"{len(bad)} failing records, 2 violations each, full messages",
        },
    ]


def _plain_batch(rows: list[dict[str, Any]]) -> dict[str, list[int]]:
    """The same four checks as the GX suite, by hand: positions of unexpected rows."""
    out: dict[str, list[int]] = {"not_null": [], "regex": [], "unique": [], "in_set": []}
    seen: dict[Any, int] = {}
    for i, r in enumerate(rows):
        if r["name"] is None:
            out["not_null"].append(i)
        email = r["email"]
        if email is not None and not _EMAIL.search(email):
            out["regex"].append(i)
        seen[r["ref"]] = seen.get(r["ref"], 0) + 1
        if r["type"] is not None and r["type"] not in TYPES:
            out["in_set"].append(i)
    out["unique"] = [i for i, r in enumerate(rows) if seen[r["ref"]] > 1]
    return out


def batch_rows(n: int, batch: int) -> list[dict[str, Any]]:
    from officebridge.quality.batch import BatchChecker  # noqa: PLC0415 - GX import measured below

    checks = (
        ("expect_column_values_to_not_be_null", (("column", "name"),)),
        ("expect_column_values_to_match_regex", (("column", "email"), ("regex", EMAIL))),
        ("expect_column_values_to_be_unique", (("column", "ref"),)),
        ("expect_column_values_to_be_in_set", (("column", "type"), ("value_set", TYPES))),
    )
    spec = QualitySpec(
        "bench.yaml",
        None,
        None,
        tuple(ExpectationSpec(a, b, i) for i, (a, b) in enumerate(checks)),
        "quarantine",
        ("expectations",),
    )
    data = records(n)
    data[3]["email"] = "broken"
    data[7]["ref"] = data[8]["ref"]
    import_cmd = [
        sys.executable,
        "-c",
        "import time; t=time.perf_counter(); import great_expectations; print(time.perf_counter()-t)",
    ]
    import_s = float(subprocess.run(import_cmd, capture_output=True, text=True, check=True).stdout)
    started = time.perf_counter()
    checker = BatchChecker(spec)
    setup = time.perf_counter() - started
    columns = sorted(data[0])
    chunks = [data[i : i + batch] for i in range(0, n, batch)]
    checker.check(chunks[0], columns)  # warm-up (first-call caches)
    started = time.perf_counter()
    results = [checker.check(chunk, columns) for chunk in chunks]
    t_gx = time.perf_counter() - started
    started = time.perf_counter()
    plain = [_plain_batch(chunk) for chunk in chunks]
    t_plain = time.perf_counter() - started
    assert results[0][1].rows_at == plain[0]["regex"] == [3] and results[0][2].rows_at == plain[0][
        "unique"
    ] == [7, 8]
    started = time.perf_counter()
    import pandas as pd  # noqa: PLC0415

    for chunk in chunks:
        pd.DataFrame.from_records(chunk, columns=columns)
    t_frame = time.perf_counter() - started
    per = 1e6 / n
    return [
        {
            "name": f"batch checks: 4 GX expectations vs hand-written, {n} rows in batches of {batch}",
            "baseline": f"{t_plain * per:.2f} us/row",
            "candidate": f"{t_gx * per:.2f} us/row",
            "ratio": t_gx / t_plain,
            "aim": "informative; < mapping + writing per row",
            "note": f"DataFrame build {t_frame * per:.2f} us/row; {t_gx / len(chunks) * 1000:.0f} ms/batch",
        },
        {
            "name": "batch checks: GX import + context + suite (once per run)",
            "baseline": "",
            "candidate": f"import {import_s:.2f} s (fresh process); context+suite {setup:.2f} s",
            "ratio": "",
            "aim": "once per run, only with expectations",
            "note": "lazy: none without expectations",
        },
    ]


def run(quick: bool = False) -> list[dict[str, Any]]:
    return record_rows(5_000 if quick else 50_000) + batch_rows(4_000 if quick else 40_000, 2000)


if __name__ == "__main__":
    from benchmarks.__main__ import format_table

    print(format_table(run(quick="--quick" in sys.argv)))
