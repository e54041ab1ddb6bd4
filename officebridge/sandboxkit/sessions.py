"""Session tokens a sandbox hands out at login, and their expiry on demand.

Systems differ in what they do with a token they do not know (Salesforce
refuses it, Odoo's JSON-RPC never needed one), so the book answers both
questions: is it live, and was it issued and then expired.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable


def _hex_token() -> str:
    return secrets.token_hex(20)


class Sessions:
    def __init__(self, make_token: Callable[[], str] = _hex_token) -> None:
        self._make_token = make_token
        self._lock = threading.Lock()
        self._live: set[str] = set()
        self._expired: set[str] = set()

    def issue(self) -> str:
        token = self._make_token()
        with self._lock:
            self._live.add(token)
        return token

    def live(self, token: str | None) -> bool:
        with self._lock:
            return token is not None and token in self._live

    def expired(self, token: str | None) -> bool:
        """Issued by this sandbox and expired since."""
        with self._lock:
            return token is not None and token in self._expired

    def expire_all(self) -> None:
        with self._lock:
            self._expired |= self._live
            self._live.clear()
