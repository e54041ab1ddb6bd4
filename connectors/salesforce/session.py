"""The HTTP session simple-salesforce talks through: fixed TLS trust, timeouts, last answer.

Three reasons for a session of our own. First, requests merges the environment
(REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE) into every request that passes no `verify`,
and that silently overrides `Session.verify`; simple-salesforce never passes
`verify`, so a connection's `ca_file` would be ignored on machines that set those
variables. We therefore pass `verify` on every request. Verification is never
switched off. Second, simple-salesforce sets no timeout, so a stalled server
would hang a sync forever; we give every request one. Third, the library's
exceptions drop the response headers, but the classifier needs `Retry-After`,
and the connector reports `Sforce-Limit-Info`; the session keeps the last
answer's headers per thread. Fourth, a read timeout bounds each read, not the
call: every connection registers its socket with the call's `Deadline`
(officebridge.deadline), armed by the connector, so a server dripping its answer
byte by byte cannot hold a call past its deadline.
"""

from __future__ import annotations

import email.utils
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from connectors.salesforce.settings import CONNECT_TIMEOUT
from officebridge import deadline


@dataclass(frozen=True, slots=True)
class ApiUsage:
    """Daily API requests used and allowed, from the Sforce-Limit-Info header."""

    used: int
    total: int


@dataclass(frozen=True, slots=True)
class LastAnswer:
    status: int
    retry_after: float | None
    api_usage: ApiUsage | None


_USAGE = re.compile(r"(?:^|[;,\s])api-usage=(\d+)/(\d+)")


def parse_api_usage(header: str | None) -> ApiUsage | None:
    if not header:
        return None
    match = _USAGE.search(header)
    return ApiUsage(int(match.group(1)), int(match.group(2))) if match else None


def parse_retry_after(header: str | None) -> float | None:
    """Retry-After is either seconds or an HTTP date; anything else is ignored."""
    if not header:
        return None
    header = header.strip()
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class _WatchedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        super().connect()
        deadline.watch(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        deadline.watch(self.sock)  # a pooled connection: its socket serves this call now
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        deadline.watch(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        deadline.watch(self.sock)
        super().request(*args, **kwargs)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter whose connections put their sockets under the current call's deadline."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class VerifyingSession(requests.Session):
    """A requests session that always verifies against one trust setting and never hangs."""

    def __init__(self, verify: str | bool, timeout: float) -> None:
        super().__init__()
        if verify is False:
            raise ValueError("TLS verification cannot be switched off")
        self.verify = verify
        self._fixed_verify = verify
        self._timeout = (CONNECT_TIMEOUT, timeout)
        self._local = threading.local()
        self.mount("https://", DeadlineAdapter())
        self.mount("http://", DeadlineAdapter())

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs["verify"] = self._fixed_verify
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self._timeout
        self._local.last = None
        response = super().request(method, url, *args, **kwargs)
        self._local.last = LastAnswer(
            status=response.status_code,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
            api_usage=parse_api_usage(response.headers.get("Sforce-Limit-Info")),
        )
        return response

    @property
    def last_answer(self) -> LastAnswer | None:
        """The last response this thread received, or None if the last request got no answer."""
        return getattr(self._local, "last", None)
