"""HubSpot's API limits per private app token: a rolling 10-second burst, a daily quota, search 4/s.

Every answer except search carries the `X-HubSpot-RateLimit-*` headers (daily
and burst counters; the interval variant names the 10-second window); search
counts against its own limit of 4 requests per second and, as in HubSpot, its
answers carry none of those headers. Over a limit the answer is 429 with the
policy that was hit (TEN_SECONDLY_ROLLING, SECONDLY for search, DAILY) and
Retry-After: the seconds until the window frees a slot.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LimitConfig:
    burst: int = 190  # per 10 s (Professional / Enterprise private apps)
    daily: int = 625_000  # Professional: 625k (500k + the 125k of one API add-on unit), counted per day
    search_per_second: int = 4
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Verdict:
    policy: str | None  # None: allowed
    retry_after: float
    headers: dict[str, str]


class Limiter:
    def __init__(self, config: LimitConfig | None = None) -> None:
        self.config = config or LimitConfig()
        self._lock = threading.Lock()
        self._burst: deque[float] = deque()
        self._search: deque[float] = deque()
        self._day = time.strftime("%Y-%m-%d", time.gmtime())
        self._daily_used = 0

    def configure(self, config: LimitConfig) -> None:
        with self._lock:
            self.config = config
            self._burst.clear()
            self._search.clear()

    def take(self, *, search: bool) -> Verdict:
        now = time.monotonic()
        c = self.config
        with self._lock:
            today = time.strftime("%Y-%m-%d", time.gmtime())
            if today != self._day:
                self._day, self._daily_used = today, 0
            _drop_older(self._burst, now - 10)
            _drop_older(self._search, now - 1)
            if not c.enabled:
                return Verdict(None, 0, {} if search else self._headers())
            if self._daily_used >= c.daily:
                return Verdict("DAILY", _seconds_to_midnight(), self._headers())
            window, size, limit, policy = (
                (self._search, 1.0, c.search_per_second, "SECONDLY")
                if search
                else (self._burst, 10.0, c.burst, "TEN_SECONDLY_ROLLING")
            )
            if len(window) >= limit:
                wait = max(0.001, window[0] + size - now)
                return Verdict(policy, wait, {} if search else self._headers())
            window.append(now)
            self._daily_used += 1
            return Verdict(None, 0, {} if search else self._headers())

    def _headers(self) -> dict[str, str]:
        c = self.config
        return {
            "X-HubSpot-RateLimit-Daily": str(c.daily),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, c.daily - self._daily_used)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
            "X-HubSpot-RateLimit-Max": str(c.burst),
            "X-HubSpot-RateLimit-Remaining": str(max(0, c.burst - len(self._burst))),
            "X-HubSpot-RateLimit-Secondly": str(math.ceil(c.burst / 10)),
            "X-HubSpot-RateLimit-Secondly-Remaining": str(
                max(0, math.ceil(c.burst / 10) - _last_second(self._burst))
            ),
        }


def _drop_older(window: deque[float], cutoff: float) -> None:
    while window and window[0] <= cutoff:
        window.popleft()


def _last_second(window: deque[float]) -> int:
    cutoff = time.monotonic() - 1
    return sum(1 for t in window if t > cutoff)


def _seconds_to_midnight() -> float:
    now = time.gmtime()
    return float(86400 - (now.tm_hour * 3600 + now.tm_min * 60 + now.tm_sec))
