"""Retries are counted per run (the run's summary says how many calls were retried)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from officebridge.errors import OutcomeUnknownError, RetriableError
from officebridge.retry import PROCESS, RetryPolicy, counting, retry_call

POLICY = RetryPolicy(attempts=4, base=0.0, cap=0.0)


def flaky(failures: int, error: type[RetriableError] = RetriableError) -> Callable[[], str]:
    left = [failures]

    def call() -> str:
        if left[0] > 0:
            left[0] -= 1
            raise error("HTTP 503")
        return "ok"

    return call


def test_retries_are_counted_into_the_open_run_and_its_detail() -> None:
    detail: dict[str, object] = {}
    before = PROCESS.total
    with counting(detail) as counter:
        assert retry_call(flaky(2), policy=POLICY, what="read a", sleep=lambda _: None) == "ok"
        assert retry_call(flaky(1), policy=POLICY, what="read b", sleep=lambda _: None) == "ok"
    assert counter.total == 3 and detail["retried"] == 3
    assert detail["retried_calls"] == {"read a": 2, "read b": 1}
    assert PROCESS.total - before == 3


def test_a_call_that_gives_up_carries_its_attempts_and_is_counted_on_error() -> None:
    detail: dict[str, object] = {}
    with pytest.raises(RetriableError) as info, counting(detail):
        retry_call(flaky(10), policy=POLICY, what="write", sleep=lambda _: None)
    assert info.value.attempts == 4 and detail["retried"] == 3


def test_an_unknown_outcome_is_never_retried_nor_counted() -> None:
    with pytest.raises(OutcomeUnknownError), counting() as counter:
        retry_call(flaky(1, OutcomeUnknownError), policy=POLICY, sleep=lambda _: None)
    assert counter.total == 0
