"""The one exception hierarchy of officebridge.

Branches are chosen by what the caller should do, not by where the error came
from: fix a file (`ConfigError`), back off and retry (`RetriableError`),
dead-letter one record and go on (`RecordError`), or stop the run
(`FatalError`), or try the whole task again later (`RetryLaterError`: a lock
someone else holds). Messages are built from typed attributes and must never
carry secrets; connectors mask credentials before raising. Every error pickles
with its attributes (Celery and multiprocessing send them between processes),
and what Airflow does with each branch is decided once, in
`officebridge.airflow.failure`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def _rebuild(cls: type[OfficeBridgeError], args: tuple[Any, ...], state: dict[str, Any]) -> OfficeBridgeError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class OfficeBridgeError(Exception):
    """Root of every error officebridge raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as (class, args, attributes), without calling `__init__` again: subclasses take
        keyword-only or typed arguments that `Exception`'s default reduce (cls(*args)) would lose."""
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


# --- fix the file -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in a mapping (or other config) file."""

    file: str
    line: int | None
    column: int | None
    message: str
    path: str = ""  # dotted path inside the document, e.g. "fields.email.copy"

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        at = f" [{self.path}]" if self.path else ""
        return f"{where}:{at} {self.message}"


class ConfigError(OfficeBridgeError):
    """A mapping, connection or setting is wrong; a person must fix it."""


class MappingError(ConfigError):
    """A mapping file has one or more problems, all reported together."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class ExpressionError(ConfigError):
    """An expression uses syntax or names outside the safe subset."""

    def __init__(self, expression: str, message: str, column: int | None = None) -> None:
        self.expression = expression
        self.column = column
        super().__init__(message)


class UnknownConnectorError(ConfigError):
    """No connector plug-in is registered under the requested system name."""

    def __init__(self, system: str, known: list[str]) -> None:
        self.system = system
        self.known = known
        super().__init__(
            f"unknown system {system!r}; installed connectors: {', '.join(sorted(known)) or 'none'}"
        )


class ConnectionNotFoundError(ConfigError):
    """An Airflow connection id could not be resolved."""

    def __init__(self, conn_id: str) -> None:
        self.conn_id = conn_id
        var = "AIRFLOW_CONN_" + conn_id.upper()
        super().__init__(f"connection {conn_id!r} is not defined (set {var} or create it in Airflow)")


# --- back off and retry -----------------------------------------------------


class RetriableError(OfficeBridgeError):
    """A transient fault (rate limit, 5xx, timeout, expired session).

    `attempts` is how many tries the raiser already spent on the call (set by
    `retry_call` when it gives up), so outer layers do not retry it again at once.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        self.attempts = 0
        super().__init__(message)


class OutcomeUnknownError(RetriableError):
    """A call timed out or its connection dropped: it may have been applied or not.

    Raised inside a connector, never out of `Connector.write`: the connector
    turns it into UNKNOWN results for exactly the operations that were sent, and
    the sync run parks those records until a later run looks them up first.
    """


class SessionExpiredError(RetriableError):
    """The remote session is no longer valid; log in again, then retry."""


# --- stop the run -----------------------------------------------------------


class FatalError(OfficeBridgeError):
    """The run cannot go on (unreachable system, bad credentials, bad response)."""


class AuthenticationError(FatalError):
    """The remote system refused our credentials."""


class UnreachableError(FatalError):
    """The remote system could not be reached after retries."""


class RemoteProtocolError(FatalError):
    """The remote system answered something we cannot interpret."""


class TLSVerificationError(FatalError):
    """The server's certificate does not verify against the trusted CA bundle (fix the trust)."""


class StateError(FatalError):
    """The state store is missing, outdated or inconsistent."""


class BatchRejectedError(FatalError):
    """A batch check with policy `fail` rejected the batch; nothing was written."""


# --- not now: try the whole task again later ----------------------------------


class RetryLaterError(OfficeBridgeError):
    """Nothing is wrong, but the work cannot start now; the scheduler should try again later."""


class SyncLockedError(RetryLaterError):
    """Another run of the same sync holds the lock."""


# --- dead-letter the record and go on --------------------------------------


class RecordError(OfficeBridgeError):
    """One record cannot be processed; it becomes a dead letter.

    `stage` is where it failed: map, lookup, validate, quality, write.
    """

    def __init__(
        self,
        message: str,
        *,
        stage: str,
        code: str = "ERROR",
        field: str | None = None,
        record_id: str | None = None,
    ) -> None:
        self.stage = stage
        self.code = code
        self.field = field
        self.record_id = record_id
        super().__init__(message)
