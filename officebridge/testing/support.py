"""Helpers shared by the generated contract tests: skips that must be declared, reads, leaks."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import quote, quote_plus

import pytest

from officebridge.connector import Connector, ReadRequest, SourceRecord
from officebridge.testing.harness import ConnectorHarness, FaultInjector

T = TypeVar("T")


def need(h: ConnectorHarness, feature: str) -> None:
    """Skip when the harness declares `feature` unsupported (with its reason); otherwise go on."""
    for declared in (feature, "faults" if feature.startswith("fault.") else None):
        if declared is not None and declared in h.skips:
            pytest.skip(f"{type(h).__name__} declares {declared!r} unsupported: {h.skips[declared]}")


def injector(h: ConnectorHarness, kind: str) -> FaultInjector:
    """The harness's fault injector for `kind`; a harness without one must declare why."""
    need(h, f"fault.{kind}")
    found = h.faults()
    if found is None:
        pytest.fail(f"{type(h).__name__} has no fault injection and declares no skips['faults'] reason")
    return found


def tag(what: str) -> str:
    """A value unique to this test, so records of other tests (or a shared real server) never match."""
    return f"ctr-{what}-{uuid.uuid4().hex[:10]}"


def named(h: ConnectorHarness, text: str, **values: Any) -> dict[str, Any]:
    w = h.writable
    return {**w.required, w.text_field: text, **values}


def read_all(conn: Connector, request: ReadRequest) -> list[list[SourceRecord]]:
    return [list(page.records) for page in conn.read(request)]


def flat(pages: Iterable[list[SourceRecord]]) -> list[SourceRecord]:
    return [r for page in pages for r in page]


def tagged(h: ConnectorHarness, conn: Connector, value: str, **options: Any) -> list[SourceRecord]:
    """Records whose `other_field` is `value`: through the native filter, or read and picked here
    when the system has none (`filter_schema` None)."""
    w = h.writable
    native = h.equals_filter(w.other_field, value) if h.manifest.capabilities.filter_schema else None
    request = ReadRequest(w.name, (w.text_field, w.other_field), filter=native, **options)
    found = flat(read_all(conn, request))
    return found if native is not None else [r for r in found if r.fields.get(w.other_field) == value]


def encodings(secret: str, login: str | None) -> set[str]:
    """The secret as it may leak: plain, base64 (alone and as Basic auth), URL-encoded."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret)}
    for raw in (secret, f"{login}:{secret}"):
        data = raw.encode()
        forms |= {base64.b64encode(data).decode(), base64.urlsafe_b64encode(data).decode().rstrip("=")}
    return {f for f in forms if len(f) >= 4}


def exception_text(exc: BaseException) -> str:
    """The message of an error and of everything chained to it (what a traceback would show)."""
    parts: list[str] = []
    seen: BaseException | None = exc
    while seen is not None and len(parts) < 10:
        parts += [f"{type(seen).__name__}: {seen}", repr(seen.args)]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


def assert_no_leak(texts: dict[str, str], secrets: Iterable[str], login: str | None) -> None:
    for secret in secrets:
        for form in encodings(secret, login):
            for where, text in texts.items():
                assert form not in text, f"a secret (as {form[:2]}…) appears in {where}"


def eventually(probe: Callable[[], T], ok: Callable[[T], bool], seconds: float) -> T:
    """Poll `probe` until `ok` (a write may land after its answer was lost), at most `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        value = probe()
        if ok(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.1)
