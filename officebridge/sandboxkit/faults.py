"""The book of armed faults of one sandbox, shared by its Python API and its admin routes.

A fault is a kind, a remaining count and a match: a regex searched in the URL
path and one searched in the operation name the sandbox reports (e.g.
`res.partner.create`). Request-level faults are taken one per request, oldest
first; `record_error` faults are asked per written record, against the call
being served, which the HTTP handler binds to its thread. A fault with a
`chance` below 1 hits each matching call only with that probability (a storm),
drawn from the book's own seeded random generator, so a storm is repeatable.
"""

from __future__ import annotations

import random
import re
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from officebridge.sandboxkit.vocabulary import (
    COMMON_KINDS,
    UNSET,
    Kind,
    Times,
    check_kind,
    resolve_params,
)
from officebridge.sandboxkit.wire import Call


@dataclass
class Fault:
    kind: Kind
    times: int | None  # None: until cleared
    path: re.Pattern[str] | None
    operation: re.Pattern[str] | None
    params: dict[str, Any]
    chance: float = 1.0  # the probability that a matching call is hit

    @property
    def name(self) -> str:
        return self.kind.name

    def matches(self, call: Call | None) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        if call is None:  # a write made through the Python API, not over HTTP
            return self.path is None and self.operation is None
        if self.path is not None and not self.path.search(call.path):
            return False
        return self.operation is None or bool(self.operation.search(call.operation or ""))


@dataclass(frozen=True, slots=True)
class Refusal:
    """A record a `record_error` fault refuses: the field as the sandbox names it, and the error."""

    field: str
    value: Any
    code: str | None
    message: str | None


def _equal(actual: Any, wanted: Any) -> bool:
    return bool(actual == wanted or str(actual) == str(wanted))


class FaultBook:
    def __init__(self, extra_kinds: Mapping[str, Kind] | None = None) -> None:
        clash = set(COMMON_KINDS) & set(extra_kinds or {})
        if clash:
            raise ValueError(f"a sandbox may add fault kinds, not redefine {sorted(clash)}")
        self.kinds: dict[str, Kind] = {**COMMON_KINDS, **(extra_kinds or {})}
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._served: Counter[str] = Counter()
        self._local = threading.local()
        self.random = random.Random(0)

    def seed(self, seed: int) -> None:
        """Make the `chance` draws repeatable from here on."""
        with self._lock:
            self.random.seed(seed)

    def add(
        self,
        kind: str,
        *,
        times: Times = UNSET,
        path: str | None = None,
        operation: str | None = None,
        chance: float = 1.0,
        **params: Any,
    ) -> Fault:
        spec = check_kind(self.kinds, kind)
        resolved = resolve_params(spec, params)
        operation = resolved.pop("operation", operation)
        if times is UNSET:
            times = None if spec.until_cleared else 1
        if times is not None and (not isinstance(times, int) or times < 1):
            raise ValueError(f"times must be a positive integer or None (until cleared), not {times!r}")
        if not 0 < float(chance) <= 1:
            raise ValueError(f"chance must be a probability in (0, 1], not {chance!r}")
        fault = Fault(
            spec,
            times,
            re.compile(path) if path else None,
            re.compile(operation) if operation else None,
            resolved,
            float(chance),
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def _spend(self, fault: Fault) -> None:
        if fault.times is not None:
            fault.times -= 1
            if fault.times <= 0:
                self._faults.remove(fault)
        self._served[fault.name] += 1

    def take(self, call: Call) -> Fault | None:
        """The oldest request-level fault matching this call, with one use spent."""
        with self._lock:
            for fault in self._faults:
                if fault.kind.per_record or (fault.kind.session_bound and not call.uses_session):
                    continue
                if fault.matches(call) and (fault.chance >= 1 or self.random.random() < fault.chance):
                    self._spend(fault)
                    return fault
        return None

    @contextmanager
    def serving(self, call: Call) -> Iterator[None]:
        """Bind `call` to this thread, so `refusal` matches `path`/`operation` against it."""
        self._local.call = call
        try:
            yield
        finally:
            self._local.call = None

    def refusal(self, obj: str, record: Mapping[str, Any]) -> Refusal | None:
        """Whether a `record_error` fault refuses writing `record` (field -> value) on `obj`.

        Object and field names compare case-insensitively (Salesforce's are); the value compares
        equal or equal as text, so `value="42"` and `value=42` both match 42.
        """
        call: Call | None = getattr(self._local, "call", None)
        fields = {name.casefold(): name for name in record}
        with self._lock:
            for fault in self._faults:
                if not fault.kind.per_record or not fault.matches(call):
                    continue
                p = fault.params
                if p["object"] is not None and str(p["object"]).casefold() != obj.casefold():
                    continue
                name = fields.get(str(p["field"]).casefold())
                if name is None or not _equal(record[name], p["value"]):
                    continue
                self._spend(fault)
                return Refusal(name, record[name], p["code"], p["message"])
        return None

    def served(self) -> dict[str, int]:
        with self._lock:
            return dict(self._served)

    def reset_served(self) -> None:
        with self._lock:
            self._served.clear()
