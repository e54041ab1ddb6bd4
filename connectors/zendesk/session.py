"""The requests session zenpy talks through: fixed TLS trust, a timeout, and the last answer's headers.

requests merges REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE into every request that
passes no `verify`, silently overriding `Session.verify`; zenpy never passes
`verify`, so a connection's `ca_file` would be ignored on machines that set
them. We pass `verify` on every request (never False). zenpy drops response
headers from its exceptions, so the session keeps the last answer's
Retry-After and X-Rate-Limit-Remaining per thread for the classifier.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import requests

CONNECT_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class LastAnswer:
    status: int
    retry_after: float | None
    remaining: int | None  # X-Rate-Limit-Remaining


def _number(text: str | None) -> float | None:
    try:
        return max(0.0, float(text)) if text else None
    except ValueError:
        return None


class VerifyingSession(requests.Session):
    def __init__(self, verify: str | bool, timeout: float) -> None:
        super().__init__()
        if verify is False:
            raise ValueError("TLS verification cannot be switched off")
        self.verify = verify
        self._fixed_verify = verify
        self._timeout = (CONNECT_TIMEOUT, timeout)
        self._local = threading.local()

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs["verify"] = self._fixed_verify
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        self._local.last = None
        response = super().request(method, url, *args, **kwargs)
        remaining = _number(response.headers.get("X-Rate-Limit-Remaining"))
        self._local.last = LastAnswer(
            response.status_code,
            _number(response.headers.get("Retry-After")),
            int(remaining) if remaining is not None else None,
        )
        return response

    @property
    def last_answer(self) -> LastAnswer | None:
        last: LastAnswer | None = getattr(self._local, "last", None)
        return last
