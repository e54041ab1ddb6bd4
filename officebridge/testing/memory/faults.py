"""Injected faults and request statistics of an in-memory system.

The same vocabulary as every sandbox (`add_fault(kind, *, times, path,
operation, **params)`), so the contract suite drives the memory system and a
sandbox alike. A fault matches an operation (`account.create`, `login`, ...)
by exact name (`operation=`) or by regex (`path=`, matched against the
operation name, the memory system having no URL paths).
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

KINDS = frozenset(
    {"rate_limit", "server_error", "slow", "timeout", "drop", "expire_sessions", "record_error"}
)
REQUEST_KINDS = KINDS - {"record_error"}


@dataclass
class Fault:
    kind: str
    times: int | None  # None: armed until cleared
    path: re.Pattern[str] | None
    operation: str | None
    params: dict[str, Any] = field(default_factory=dict)

    def matches(self, operation: str) -> bool:
        if self.operation is not None and self.operation != operation:
            return False
        return self.path is None or bool(self.path.search(operation))


class FaultBook:
    """Armed faults and counters, behind one lock (connectors may call from threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._requests = 0
        self._operations: Counter[str] = Counter()
        self._served: Counter[str] = Counter()

    def add(
        self,
        kind: str,
        *,
        times: int | None = 1,
        path: str | None = None,
        operation: str | None = None,
        **params: Any,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(sorted(KINDS))}")
        if kind == "record_error":
            missing = [p for p in ("field", "value") if p not in params]
            if missing:
                raise ValueError(f"record_error needs {' and '.join(missing)}")
            times = None  # armed until cleared, as in every sandbox
        pattern = re.compile(path) if path else None
        with self._lock:
            self._faults.append(Fault(kind, times, pattern, operation, params))

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def request(self, operation: str) -> Fault | None:
        """Count one request; the first armed request-level fault matching it, one use consumed."""
        with self._lock:
            self._requests += 1
            self._operations[operation] += 1
            for fault in self._faults:
                if fault.kind in REQUEST_KINDS and fault.matches(operation) and self._take(fault):
                    return fault
        return None

    def record_error(self, object_name: str, values: dict[str, Any]) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                p = fault.params
                if fault.kind != "record_error" or p.get("object") not in (None, object_name):
                    continue
                if p["field"] in values and values[p["field"]] == p["value"] and self._take(fault):
                    return fault
        return None

    def _take(self, fault: Fault) -> bool:
        if fault.times is not None:
            if fault.times <= 0:
                return False
            fault.times -= 1
        self._served[fault.kind] += 1
        return True

    def stats(self) -> dict[str, Any]:
        with self._lock:
            ops = dict(self._operations)
            return {
                "requests": self._requests,
                "by_route": ops,
                "by_operation": dict(ops),
                "faults": dict(self._served),
            }

    def reset_stats(self) -> None:
        with self._lock:
            self._requests = 0
            self._operations.clear()
            self._served.clear()
