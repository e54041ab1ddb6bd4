"""What Airflow does with each officebridge error, decided once for every task.

Retries stack: a connector retries a transient call (seconds apart, `retry_call`),
the sync run re-plans a batch, and Airflow retries the task (minutes apart). Each
layer retries only what it owns, so one failing request cannot cost
6 x 6 x 4 attempts:

- fix something first (`ConfigError`, `AuthenticationError`, `TLSVerificationError`,
  `StateError`): fail the task at once, no Airflow retry; retrying cannot help.
- not now (`RetryLaterError`, e.g. `SyncLockedError`: another run holds the lock):
  Airflow retries the task later; this is Airflow's to own.
- transient, already retried by the connector (`RetriableError`, `UnreachableError`):
  Airflow retries the task later, since minutes may cure what seconds did not.
- the remote answered something we cannot read (`RemoteProtocolError`): often a
  proxy page during an outage, so Airflow retries it, but only what Airflow's own
  `retries` allows; nothing was half-applied (connectors check shapes first).
- a batch check refused the data (`BatchRejectedError`): the same data would be
  refused again, so fail at once; a person looks at the quality report.
- anything else (`FatalError`, a bug): Airflow's default retries apply.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager

from officebridge.errors import (
    AuthenticationError,
    BatchRejectedError,
    ConfigError,
    OfficeBridgeError,
    RemoteProtocolError,
    RetriableError,
    RetryLaterError,
    StateError,
    TLSVerificationError,
    UnreachableError,
)
from officebridge.secrets import install, redact, register_known_with_airflow


class Verdict(enum.Enum):
    FAIL = "fail"  # no Airflow retry: a person must fix something
    RETRY = "retry"  # Airflow retries the task (its `retries` and backoff)


FAIL_FAST: tuple[type[OfficeBridgeError], ...] = (
    ConfigError,
    AuthenticationError,
    TLSVerificationError,
    StateError,
    BatchRejectedError,
)
# spelled out so the decision is deliberate; anything not failing fast is retried as well
RETRY_LATER: tuple[type[OfficeBridgeError], ...] = (
    RetryLaterError,
    RetriableError,
    UnreachableError,
    RemoteProtocolError,
)


def verdict(exc: BaseException) -> Verdict:
    """What Airflow should do with `exc` (the first matching rule above wins)."""
    if isinstance(exc, FAIL_FAST):
        return Verdict.FAIL
    if isinstance(exc, RETRY_LATER):
        return Verdict.RETRY
    return Verdict.RETRY  # FatalError and bugs: Airflow's own `retries` decide


@contextmanager
def airflow_failures() -> Iterator[None]:
    """Turn officebridge errors into Airflow's behaviour: AirflowFailException for FAIL, else re-raise.

    The message is redacted again, since Airflow prints it in the task log and the UI. On the way
    in, the task's log handlers get our redaction and Airflow's masker every secret known so far
    (later ones are handed over as they are registered).
    """
    from airflow.sdk.exceptions import AirflowFailException  # noqa: PLC0415 - only inside Airflow

    install()
    register_known_with_airflow()
    try:
        yield
    except OfficeBridgeError as exc:
        if verdict(exc) is Verdict.FAIL:
            raise AirflowFailException(redact(f"{type(exc).__name__}: {exc}")) from None
        raise
