"""The fault proxy in front of a server it does not control (here the tiny notes sandbox, faults unarmed)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from officebridge.sandboxkit.proxy import FaultProxy
from officebridge.sandboxkit.wire import Request
from officebridge.testing.harness import free_port
from tests.unit.sandboxkit.tiny import OPERATIONS, NotesSandbox


def name(request: Request) -> str | None:
    return OPERATIONS.get((request.method, request.path))


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[NotesSandbox]:
    box = NotesSandbox(tmp_path)
    box.start()
    yield box
    box.stop()


@pytest.fixture
def proxy(upstream: NotesSandbox) -> Iterator[FaultProxy]:
    with FaultProxy(upstream.url, name) as p:
        yield p


def session(proxy: FaultProxy) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = s.post(f"{proxy.url}/login", timeout=5).json()["token"]
    return s


def create(s: requests.Session, proxy: FaultProxy, title: str, timeout: float = 5) -> requests.Response:
    return s.post(f"{proxy.url}/notes", json=[{"title": title}], timeout=timeout)


def titles(box: NotesSandbox) -> list[str]:
    return [n["title"] for n in box.notes]


def test_forwards_requests_and_answers_unchanged(proxy: FaultProxy, upstream: NotesSandbox) -> None:
    assert proxy.port > 0 and proxy.port != upstream.port and proxy.url.startswith("http://127.0.0.1:")
    s = session(proxy)
    r = create(s, proxy, "through")
    assert r.status_code == 200 and r.json() == [{"ok": True}] and titles(upstream) == ["through"]
    assert requests.get(f"{proxy.url}/notes", timeout=5).status_code == 401  # the server's own refusal
    stats = proxy.stats()
    assert stats["requests"] == 3 and stats["faults"] == {}
    assert stats["by_operation"] == {"auth.login": 1, "note.create": 1, "note.list": 1}
    assert upstream.stats()["requests"] == 3  # every request reached the server


def test_rate_limit_and_server_error_never_reach_the_server(
    proxy: FaultProxy, upstream: NotesSandbox
) -> None:
    s = session(proxy)
    proxy.add_fault("rate_limit", operation=r"^note\.create$", retry_after=3)
    proxy.add_fault("server_error", operation="note", status=502)
    limited = create(s, proxy, "a")
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "3")
    failed = create(s, proxy, "b")
    assert failed.status_code == 502 and "Bad Gateway" in failed.text
    assert create(s, proxy, "c").status_code == 200
    assert titles(upstream) == ["c"] and upstream.stats()["by_operation"]["note.create"] == 1
    assert proxy.stats()["faults"] == {"rate_limit": 1, "server_error": 1}


def test_drop_after_applies_the_request_and_loses_the_answer(
    proxy: FaultProxy, upstream: NotesSandbox
) -> None:
    s = session(proxy)
    proxy.add_fault("drop", operation="note.create", after=True)
    with pytest.raises(requests.ConnectionError):
        create(s, proxy, "landed")
    proxy.add_fault("drop", operation="note.create")
    with pytest.raises(requests.ConnectionError):
        create(s, proxy, "never sent")
    assert titles(upstream) == ["landed"]


def test_slow_applies_after_the_client_gave_up(proxy: FaultProxy, upstream: NotesSandbox) -> None:
    s = session(proxy)
    proxy.add_fault("slow", operation="note.create", seconds=0.6)
    with pytest.raises(requests.ReadTimeout):
        create(s, proxy, "late", timeout=0.2)
    assert titles(upstream) == []
    deadline = time.monotonic() + 5
    while not titles(upstream) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert titles(upstream) == ["late"]


def test_path_and_times_match_and_clear(proxy: FaultProxy, upstream: NotesSandbox) -> None:
    s = session(proxy)
    proxy.add_fault("server_error", times=2, path="^/notes$")
    assert [create(s, proxy, str(i)).status_code for i in range(3)] == [503, 503, 200]
    proxy.add_fault("server_error", times=None, path="^/notes$")
    proxy.clear_faults()
    assert create(s, proxy, "after clear").status_code == 200
    proxy.reset_stats()
    assert proxy.stats() == {"requests": 0, "by_route": {}, "by_operation": {}, "faults": {}}


def test_system_specific_kinds_are_refused_with_the_reason(proxy: FaultProxy) -> None:
    with pytest.raises(ValueError, match="issues no sessions"):
        proxy.add_fault("expire_sessions")
    with pytest.raises(ValueError, match="per-record"):
        proxy.add_fault("record_error", field="title", value="x")
    with pytest.raises(ValueError, match="unknown fault kind"):
        proxy.add_fault("explode")


def test_admin_routes_arm_and_report(proxy: FaultProxy, upstream: NotesSandbox) -> None:
    armed = requests.post(
        f"{proxy.url}/_sandbox/faults", json={"kind": "server_error", "status": 504}, timeout=5
    )
    assert armed.json() == {"ok": True}
    refused = requests.post(f"{proxy.url}/_sandbox/faults", json={"kind": "expire_sessions"}, timeout=5)
    assert refused.status_code == 400 and "issues no sessions" in refused.json()["error"]
    assert requests.post(f"{proxy.url}/login", timeout=5).status_code == 504
    stats = requests.get(f"{proxy.url}/_sandbox/stats", timeout=5).json()
    assert stats["requests"] == 1 and stats["faults"] == {"server_error": 1}
    assert upstream.stats()["requests"] == 0  # admin calls stay in the proxy


def test_unreachable_upstream_is_a_502_page() -> None:
    with FaultProxy(f"http://127.0.0.1:{free_port()}", name) as p:
        answer = requests.post(f"{p.url}/login", timeout=5)
    assert answer.status_code == 502 and answer.headers["Content-Type"] == "text/html"
    with pytest.raises(ValueError, match="upstream"):
        FaultProxy("ftp://example.com")
