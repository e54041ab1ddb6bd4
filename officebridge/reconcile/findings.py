"""What one comparison found: exact counts, per-field drift counts, and a bounded sample for people.

Counts are exact whatever the size; the sample keeps the first few records
of each kind (ids always, values only of fields that are not sensitive), so
a report of a million-record drift stays a small file.

The kinds:

- missing: an A record in scope that B does not hold: no active link, or a
  link whose B record is gone (then it is *broken* too);
- broken: an active link whose B record is gone (deleted, or archived);
- extra: an active link whose A record is not in scope any more (gone,
  deleted without the sync seeing it, or outside the filter);
- drifted: a linked pair whose B record differs from what A maps to;
- unreadable: an A record the mapping cannot map now (a dead letter's
  reason): it cannot be compared.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from officebridge.secrets import MASK, redact

KINDS = ("missing", "broken", "extra", "drifted", "unreadable")
SAMPLE = 50


@dataclass(slots=True)
class Findings:
    checked: int = 0  # A records in scope
    linked: int = 0  # active links
    counts: Counter[str] = field(default_factory=Counter)
    fields: Counter[str] = field(default_factory=Counter)  # drifted field -> records
    reasons: Counter[str] = field(default_factory=Counter)  # "broken: gone", "extra: out of scope", ...
    samples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, kind: str, entry: dict[str, Any], reason: str = "") -> None:
        self.counts[kind] += 1
        if reason:
            self.reasons[f"{kind}: {reason}"] += 1
        sample = self.samples.setdefault(kind, [])
        if len(sample) < SAMPLE:
            sample.append({**entry, **({"reason": reason} if reason else {})})

    @property
    def total(self) -> int:
        """Everything out of step (a broken link's record is counted missing as well)."""
        return sum(self.counts[k] for k in ("missing", "broken", "extra", "drifted"))

    def as_counts(self) -> dict[str, int]:
        return {"checked": self.checked, "linked": self.linked, **{k: self.counts[k] for k in KINDS}}

    def as_dict(self) -> dict[str, Any]:
        return {
            "counts": self.as_counts(),
            "drifted_fields": dict(sorted(self.fields.items())),
            "reasons": dict(sorted(self.reasons.items())),
            "samples": {k: self.samples.get(k, []) for k in KINDS if self.samples.get(k)},
        }


def shown(values: dict[str, Any], sensitive: frozenset[str]) -> dict[str, Any]:
    """Values as a report may show them: sensitive ones masked, the rest as short redacted text."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name in sensitive and value not in (None, "", False):
            out[name] = MASK
        elif value is None or isinstance(value, bool | int | float):
            out[name] = value
        else:
            text = redact(str(value))
            out[name] = text if len(text) <= 120 else text[:117] + "..."
    return out
