"""The HubSpot adapter: the only code in officebridge that calls hubspot-api-client.

`hubspot.Client.create(access_token=..., host=..., ssl_ca_cert=..., retry=...)`
hands every keyword to the generated `Configuration` of each API it builds, so
the client reaches a sandbox through `host` and trusts its CA through
`ssl_ca_cert`, unmodified and with verification on. Calls ask the client for
the raw answer (`_preload_content=False`) so the `X-HubSpot-RateLimit-*`
headers and 207 bodies are ours to read, and pass plain JSON bodies. The
client's own urllib3 retries are switched off (`Retry(0)`): retrying is
decided here, by `errors.py`, because a create must never be resent blindly.
Search calls are paced to the portal's search limit (4/s) so a long read does
not run into 429s in the first place.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import urllib3
from hubspot import Client
from hubspot.crm.objects.exceptions import ApiException as ObjectsApiException
from hubspot.crm.properties.exceptions import ApiException as PropertiesApiException

from connectors.hubspot.errors import (
    CallContext,
    ConnectFailedError,
    classify_network,
    classify_status,
    parse_body,
)
from connectors.hubspot.settings import CONNECT_TIMEOUT, HubSpotSettings
from officebridge.errors import RemoteProtocolError, UnreachableError
from officebridge.retry import DEFAULT_POLICY, RetryPolicy, retry_call

log = logging.getLogger(__name__)
API_EXCEPTIONS = (ObjectsApiException, PropertiesApiException)  # each generated package has its own


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class Usage:
    """What the last X-HubSpot-RateLimit-* headers said."""

    daily_remaining: int | None
    interval_remaining: int | None


class HubSpotApi:
    def __init__(self, settings: HubSpotSettings, retry_policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self.settings = settings
        self.retry_policy = retry_policy
        self.usage: Usage | None = None
        self.retries = 0  # retried calls (429, 5xx, dropped), for tests and logs
        client = Client.create(
            access_token=settings.token.reveal(),
            host=settings.host,
            ssl_ca_cert=settings.ca_file,
            retry=urllib3.Retry(0, redirect=False, raise_on_status=False),
        )
        self.search = client.crm.objects.search_api  # each property builds a new pool: keep one
        self.batch = client.crm.objects.batch_api
        self.basic = client.crm.objects.basic_api
        self.properties = client.crm.properties.core_api
        self._pace_lock = threading.Lock()
        self._last_search = 0.0
        self._timeout = (CONNECT_TIMEOUT, settings.timeout)

    def pace_search(self) -> None:
        gap = 1.0 / self.settings.search_per_second
        with self._pace_lock:
            wait = self._last_search + gap - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last_search = time.monotonic()

    def call(
        self, what: str, fn: Callable[..., Any], *args: Any, idempotent: bool = True, **kw: Any
    ) -> Reply:
        """`fn(*args, **kw)` of the client, classified and retried; a 2xx answer as a Reply."""
        ctx = CallContext(what, self.settings.conn_id, idempotent)

        def attempt() -> Reply:
            if fn.__name__ == "do_search":
                self.pace_search()
            try:
                raw = fn(*args, _preload_content=False, _request_timeout=self._timeout, **kw)
            except API_EXCEPTIONS as exc:
                self._note(exc.headers)
                if exc.status == 0:  # the client's wrapping of urllib3's SSLError
                    raise RemoteProtocolError(
                        f"HubSpot {what}: {' '.join(str(exc.reason).split())[:300]}"
                    ) from None
                raise classify_status(int(exc.status), exc.body, exc.headers, ctx) from None
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                raise classify_network(exc, ctx) from None
            self._note(raw.headers)
            return Reply(raw.status, _json(raw.data, what), dict(raw.headers))

        def on_retry(exc: Exception) -> None:
            self.retries += 1

        try:
            return retry_call(attempt, policy=self.retry_policy, what=f"HubSpot {what}", on_retry=on_retry)
        except ConnectFailedError as exc:
            raise UnreachableError(f"{exc} (gave up after {self.retry_policy.attempts} tries)") from None

    def _note(self, headers: Any) -> None:
        if not headers:
            return
        daily = headers.get("X-HubSpot-RateLimit-Daily-Remaining")
        interval = headers.get("X-HubSpot-RateLimit-Remaining")
        if daily is not None or interval is not None:
            self.usage = Usage(int(daily) if daily else None, int(interval) if interval else None)


def _json(data: bytes, what: str) -> dict[str, Any]:
    if not data:
        return {}
    try:
        body = json.loads(data)
    except ValueError:
        raise RemoteProtocolError(f"HubSpot {what}: the answer is not JSON") from None
    if not isinstance(body, dict):
        raise RemoteProtocolError(f"HubSpot {what}: the answer is not a JSON object")
    return body


__all__ = ["HubSpotApi", "Reply", "Usage", "parse_body"]
