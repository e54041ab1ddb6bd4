"""Request counts of a sandbox, by route and by operation (the admin routes are never counted).

Tests assert with them what a client really sent ("three calls, two refused"),
so they count every request that reached the system, faulted or not.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from officebridge.sandboxkit.wire import Call


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = 0
        self._routes: Counter[str] = Counter()
        self._operations: Counter[str] = Counter()

    def count(self, call: Call) -> None:
        with self._lock:
            self._requests += 1
            self._routes[call.route] += 1
            if call.operation:
                self._operations[call.operation] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self._requests,
                "by_route": dict(self._routes),
                "by_operation": dict(self._operations),
            }

    def reset(self) -> None:
        with self._lock:
            self._requests = 0
            self._routes.clear()
            self._operations.clear()
