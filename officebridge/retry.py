"""Retry transient faults with exponential backoff and full jitter.

Connectors wrap each remote call in `retry_call`. Only `RetriableError` is
retried (the connector's classifier decides what is transient); a server's
Retry-After is honoured when it asks for more than the backoff would wait.

Every retry is counted: into the counter of the current run when one is open
(`counting`, which the sync run opens and whose total lands in the run's
detail and `RunResult.retried`), and into a process-wide total. The retries of
preparing a run (the logins and describes before its lock is taken) are
counted by a counter of their own and carried into the run's (`carry`). An error that
gives up carries `attempts`, so an outer layer (a batch re-plan, Airflow) sees
that this call was retried already and does not multiply the attempts.
"""

from __future__ import annotations

import contextvars
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

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


DEFAULT_POLICY = policy_from_env()  # passing it means "the environment's policy, read at each call"


@dataclass
class RetryCounter:
    """Retries made while this counter was current, by what was retried."""

    total: int = 0
    by_call: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, what: str) -> None:
        with self._lock:
            self.total += 1
            self.by_call[what] = self.by_call.get(what, 0) + 1

    def absorb(self, other: RetryCounter) -> None:
        """Count `other`'s retries here too (the retries of preparing a run, counted for the run)."""
        with other._lock:
            total, by_call = other.total, dict(other.by_call)
        with self._lock:
            self.total += total
            for what, n in by_call.items():
                self.by_call[what] = self.by_call.get(what, 0) + n


PROCESS = RetryCounter()  # every retry of this process
_current: contextvars.ContextVar[RetryCounter | None] = contextvars.ContextVar("retry_counter", default=None)


@contextmanager
def counting(
    detail: MutableMapping[str, Any] | None = None, *, carry: RetryCounter | None = None
) -> Iterator[RetryCounter]:
    """Count the retries made inside the block, starting from those of `carry` when given.

    On the way out (error or not) store the total as `detail["retried"]` (and the
    busiest calls as `detail["retried_calls"]`) when a detail is given.
    """
    counter = RetryCounter()
    if carry is not None:
        counter.absorb(carry)
    token = _current.set(counter)
    try:
        yield counter
    finally:
        _current.reset(token)
        if detail is not None:
            detail["retried"] = counter.total
            if counter.by_call:
                busiest = sorted(counter.by_call.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
                detail["retried_calls"] = dict(busiest)


def note_retry(what: str) -> None:
    """Count one retry of `what` (retry_call does; a layer that retries by itself calls this too)."""
    PROCESS.add(what)
    counter = _current.get()
    if counter is not None:
        counter.add(what)


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
    landed could duplicate it; the caller must find out first. The error that
    gives up carries `attempts`, the tries spent on it.
    """
    if policy is DEFAULT_POLICY:  # read again, so a running process (a test) can shorten its retries
        policy = policy_from_env()
    attempt = 1
    while True:
        try:
            return call()
        except RetriableError as exc:
            if attempt >= policy.attempts or isinstance(exc, OutcomeUnknownError):
                exc.attempts = attempt
                raise
            wait = policy.delay(attempt, exc.retry_after)
            log.warning("%s failed (%s); retry %d/%d in %.2fs", what, exc, attempt, policy.attempts - 1, wait)
            note_retry(what)
            if on_retry is not None:
                on_retry(exc)
            sleep(wait)
            attempt += 1
