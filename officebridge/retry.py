"""Retry transient faults with exponential backoff and full jitter.

Connectors wrap each remote call in `retry_call`. Only `RetriableError` is
retried (the connector's classifier decides what is transient); a server's
Retry-After is honoured when it asks for more than the backoff would wait.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from officebridge.errors import OutcomeUnknownError, RetriableError

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 6  # total tries, first one included
    base: float = 0.5  # seconds before the second try
    cap: float = 30.0  # longest single wait
    max_retry_after: float = 120.0  # longer Retry-After values are not worth blocking a run for

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Wait before try number `attempt + 1` (attempt counts from 1)."""
        backoff = random.uniform(0, min(self.cap, self.base * 2 ** (attempt - 1)))
        if retry_after is not None:
            return max(backoff, min(retry_after, self.max_retry_after))
        return backoff


def policy_from_env() -> RetryPolicy:
    """OFFICEBRIDGE_RETRY_ATTEMPTS / OFFICEBRIDGE_RETRY_BASE override the defaults (e.g. to fail fast)."""
    attempts = os.environ.get("OFFICEBRIDGE_RETRY_ATTEMPTS")
    base = os.environ.get("OFFICEBRIDGE_RETRY_BASE")
    return RetryPolicy(
        attempts=int(attempts) if attempts else 6,
        base=float(base) if base else 0.5,
    )


DEFAULT_POLICY = policy_from_env()


def retry_call(
    call: Callable[[], T],
    *,
    policy: RetryPolicy = DEFAULT_POLICY,
    what: str = "remote call",
    on_retry: Callable[[RetriableError], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run `call`, retrying `RetriableError` up to `policy.attempts` tries.

    `OutcomeUnknownError` is never retried here: resending a write that may have
    landed could duplicate it; the caller must find out first.
    """
    attempt = 1
    while True:
        try:
            return call()
        except RetriableError as exc:
            if attempt >= policy.attempts or isinstance(exc, OutcomeUnknownError):
                raise
            wait = policy.delay(attempt, exc.retry_after)
            log.warning("%s failed (%s); retry %d/%d in %.2fs", what, exc, attempt, policy.attempts - 1, wait)
            if on_retry is not None:
                on_retry(exc)
            sleep(wait)
            attempt += 1
