"""When the Salesforce connector uses Bulk API 2.0, and how it spends the org's API budget.

Both are connection settings (`extra`), not mapping settings: they describe the
org and the integration user's allowance, which every sync of that connection
shares. The defaults come from per-call costs (see the sandbox README):

- `bulk`: `auto` (default), `always` or `never`.
- `bulk_threshold`: reads go Bulk when `SELECT COUNT()` says more than this many
  records match (default 10,000: a REST read costs one call per 2,000 records, a
  Bulk query about four calls plus one per 50,000, and the count itself one).
- `bulk_write_threshold`: writes go Bulk when one write call brings at least this
  many operations of one kind (default 2,000: composite costs one call per 200, an
  ingest job about seven calls whatever its size; Salesforce's own guidance is
  "more than 2,000 records").
- `api_slow_at` / `api_stop_at` (fractions of the daily allocation that
  `Sforce-Limit-Info` reports; defaults 0.8 and 0.95) and `api_slow_delay`
  (seconds added before each call at `api_stop_at`, growing linearly from 0 at
  `api_slow_at`; default 2.0).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from officebridge.errors import ConfigError

DEFAULT_READ_THRESHOLD = 10_000
DEFAULT_WRITE_THRESHOLD = 2_000
_LEGACY_PREFIX = "extra__salesforce__"


class BulkMode(enum.StrEnum):
    AUTO = "auto"
    ALWAYS = "always"
    NEVER = "never"


@dataclass(frozen=True, slots=True)
class BulkSettings:
    mode: BulkMode = BulkMode.AUTO
    read_threshold: int = DEFAULT_READ_THRESHOLD
    write_threshold: int = DEFAULT_WRITE_THRESHOLD
    slow_at: float = 0.8
    stop_at: float = 0.95
    slow_delay: float = 2.0
    poll_max: float = 2.0  # seconds between polls of a job, at most
    wait: float = 3600.0  # seconds a job may take before the connector gives up on it


def _get(extra: dict[str, Any], key: str) -> Any:
    value = extra.get(key)
    if value in (None, ""):
        value = extra.get(_LEGACY_PREFIX + key)
    return None if value in (None, "") else value


def _number(extra: dict[str, Any], key: str, default: float, problems: list[str], *, whole: bool) -> float:
    raw = _get(extra, key)
    if raw is None:
        return default
    try:
        value = float(raw)
        if value < 0 or (whole and value != int(value)):
            raise ValueError
    except (TypeError, ValueError):
        problems.append(f"{key} {raw!r} must be a {'whole ' if whole else ''}number >= 0")
        return default
    return value


def bulk_settings(conn_id: str, extra: dict[str, Any] | None) -> BulkSettings:
    """Read the settings from a connection's extra; one ConfigError names every problem."""
    extra = extra or {}
    problems: list[str] = []
    raw_mode = str(_get(extra, "bulk") or "auto").lower()
    if raw_mode not in {m.value for m in BulkMode}:
        problems.append(f"bulk {raw_mode!r} must be one of auto, always, never")
        raw_mode = "auto"
    read = _number(extra, "bulk_threshold", DEFAULT_READ_THRESHOLD, problems, whole=True)
    write = _number(extra, "bulk_write_threshold", DEFAULT_WRITE_THRESHOLD, problems, whole=True)
    slow_at = _number(extra, "api_slow_at", 0.8, problems, whole=False)
    stop_at = _number(extra, "api_stop_at", 0.95, problems, whole=False)
    delay = _number(extra, "api_slow_delay", 2.0, problems, whole=False)
    wait = _number(extra, "bulk_wait", 3600.0, problems, whole=False)
    if not 0 < stop_at <= 1 or not 0 <= slow_at <= stop_at:
        problems.append(f"api_slow_at {slow_at} and api_stop_at {stop_at}: need 0 <= slow <= stop <= 1")
    if problems:
        listed = "\n  - ".join(problems)
        raise ConfigError(f"Salesforce connection {conn_id!r} is not usable:\n  - {listed}")
    return BulkSettings(
        mode=BulkMode(raw_mode),
        read_threshold=int(read),
        write_threshold=max(1, int(write)),
        slow_at=slow_at,
        stop_at=stop_at,
        slow_delay=delay,
        wait=wait or 3600.0,
    )
