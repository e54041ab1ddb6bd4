"""Spend the org's daily API allocation with care: slow down near the end, stop before it.

Every REST and Bulk API 2.0 answer carries `Sforce-Limit-Info: api-usage=USED/TOTAL`,
the org-wide count every integration shares (24-hour rolling). Before each call
the connector asks `before_call()`: above `slow_at` of the allocation it sleeps,
more the closer usage gets to `stop_at`; at or above `stop_at` it raises
`ApiBudgetExhaustedError`, a clean stop with the figures, so the last few
percent stay for people and other integrations (at 100% Salesforce refuses
every call with 403 REQUEST_LIMIT_EXCEEDED, the UI's API users included).
What happened is told to the run's notes (`officebridge.sync.notes.connector_note`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from connectors.salesforce.bulk_settings import BulkSettings
from connectors.salesforce.session import ApiUsage
from officebridge.errors import FatalError
from officebridge.sync.notes import connector_note

log = logging.getLogger(__name__)


class ApiBudgetExhaustedError(FatalError):
    """The org's daily API usage reached the connection's `api_stop_at`: the run stops cleanly."""


class ApiBudget:
    def __init__(
        self, conn_id: str, settings: BulkSettings, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.conn_id = conn_id
        self.settings = settings
        self.sleep = sleep
        self.slowed_calls = 0
        self.slept = 0.0
        self._told_slow = False

    def delay(self, usage: ApiUsage) -> float:
        """Seconds to wait before the next call at this usage (0 below `slow_at`)."""
        s = self.settings
        share = usage.used / usage.total if usage.total else 0.0
        if share < s.slow_at:
            return 0.0
        span = s.stop_at - s.slow_at
        return s.slow_delay * (1.0 if span <= 0 else min(1.0, (share - s.slow_at) / span))

    def before_call(self, usage: ApiUsage | None) -> None:
        """Raise at `stop_at`, sleep above `slow_at`; `usage` is the last Sforce-Limit-Info seen."""
        if usage is None or usage.total <= 0:
            return
        s = self.settings
        share = usage.used / usage.total
        if share >= s.stop_at:
            message = (
                f"Salesforce connection {self.conn_id!r}: the org has used {usage.used:,} of its "
                f"{usage.total:,} daily API requests ({share:.0%}), at or above this connection's "
                f"api_stop_at of {s.stop_at:.0%}; stopped before going further (the rest is kept for "
                "people and other integrations). Runs resume as the 24-hour window frees requests, "
                "or raise extra.api_stop_at"
            )
            connector_note("salesforce_api_budget", message)
            raise ApiBudgetExhaustedError(message)
        wait = self.delay(usage)
        if wait <= 0:
            return
        self.slowed_calls += 1
        self.slept += wait
        note = (
            f"Salesforce connection {self.conn_id!r}: API usage {usage.used:,}/{usage.total:,} "
            f"({share:.0%}) is above api_slow_at {s.slow_at:.0%}: {self.slowed_calls} call(s) slowed "
            f"down, {self.slept:.1f}s waited in all; the run stops at {s.stop_at:.0%}"
        )
        connector_note("salesforce_api_budget", note)
        if not self._told_slow:
            log.warning("%s", note)
            self._told_slow = True
        self.sleep(wait)
