"""The common fault vocabulary, as a client of a kit-built sandbox sees it over real HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from officebridge.sandboxkit import Sandbox
from tests.unit.sandboxkit.tiny import NotesSandbox


@pytest.fixture
def box(tmp_path: Path) -> Iterator[NotesSandbox]:
    sandbox = NotesSandbox(tmp_path)
    sandbox.start()
    yield sandbox
    sandbox.stop()


def login(box: NotesSandbox) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = s.post(f"{box.url}/login", timeout=5).json()["token"]
    return s


def create(s: requests.Session, box: NotesSandbox, *titles: str, timeout: float = 5) -> requests.Response:
    return s.post(f"{box.url}/notes", json=[{"title": t} for t in titles], timeout=timeout)


def titles(box: NotesSandbox) -> list[str]:
    return [n["title"] for n in box.notes]


def test_the_tiny_sandbox_satisfies_the_contract(box: NotesSandbox) -> None:
    assert isinstance(box, Sandbox) and box.port > 0 and box.url == f"http://127.0.0.1:{box.port}"


def test_rate_limit_answers_429_with_retry_after_and_the_system_body(box: NotesSandbox) -> None:
    s = login(box)
    box.add_fault("rate_limit", times=2, retry_after=7)
    for _ in range(2):
        r = create(s, box, "a")
        assert (r.status_code, r.headers["Retry-After"], r.json()) == (429, "7", {"error": "slow down"})
    assert create(s, box, "b").status_code == 200
    assert titles(box) == ["b"]
    stats = box.stats()
    assert stats["faults"] == {"rate_limit": 2} and stats["by_operation"]["note.create"] == 3
    assert stats["requests"] == 4 and stats["by_route"] == {"POST /login": 1, "POST /notes": 3}


def test_server_error_is_a_proxy_page_and_nothing_is_applied(box: NotesSandbox) -> None:
    s = login(box)
    box.add_fault("server_error", status=502)
    r = create(s, box, "lost")
    assert r.status_code == 502 and r.headers["Content-Type"] == "text/html" and "Bad Gateway" in r.text
    assert titles(box) == []


def test_slow_answers_late_but_applies_the_write(box: NotesSandbox) -> None:
    s = login(box)
    box.add_fault("slow", seconds=0.6)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        create(s, box, "late", timeout=0.2)
    assert titles(box) == []  # not yet: the write lands after the client gave up
    time.sleep(0.8)
    assert titles(box) == ["late"] and time.monotonic() - started >= 0.6


def test_timeout_defaults_to_thirty_seconds(box: NotesSandbox) -> None:
    [fault] = [box.faults.add("timeout")]
    assert fault.params == {"seconds": 30.0}


@pytest.mark.parametrize(("after", "landed"), [(False, []), (True, ["maybe"])])
def test_drop_closes_without_an_answer(box: NotesSandbox, after: bool, landed: list[str]) -> None:
    s = login(box)
    box.add_fault("drop", after=after, operation=r"^note\.create$")
    with pytest.raises(requests.exceptions.ConnectionError):
        create(s, box, "maybe")
    assert titles(box) == landed
    assert create(s, box, "next").json() == [{"ok": True}]  # one use only; the server still serves


def test_expire_sessions_is_spent_only_on_a_call_with_a_session(box: NotesSandbox) -> None:
    s = login(box)
    box.add_fault("expire_sessions")
    assert requests.post(f"{box.url}/login", timeout=5).status_code == 200  # no session: not spent
    assert s.get(f"{box.url}/notes", timeout=5).status_code == 401
    assert login(box).get(f"{box.url}/notes", timeout=5).status_code == 200  # a new login works
    box.expire_sessions()
    assert s.get(f"{box.url}/notes", timeout=5).status_code == 401


def test_record_error_refuses_matching_records_until_cleared(box: NotesSandbox) -> None:
    s = login(box)
    box.add_fault("record_error", object="Note", field="TITLE", value="poison", code="NO_POISON")
    box.add_fault("record_error", object="other", field="title", value="fine")
    for _ in range(2):
        assert create(s, box, "fine", "poison").json() == [
            {"ok": True},
            {"ok": False, "code": "NO_POISON", "field": "title"},
        ]
    box.clear_faults()
    assert create(s, box, "poison").json() == [{"ok": True}]
    assert box.stats()["faults"] == {"record_error": 2}


def test_path_and_operation_narrow_a_fault(box: NotesSandbox) -> None:
    s = login(box)
    box.add_fault("server_error", path="^/nothing-here$")
    box.add_fault("rate_limit", operation=r"note\.list")
    assert create(s, box, "a").status_code == 200
    assert s.get(f"{box.url}/notes", timeout=5).status_code == 429
    box.add_fault("server_error", times=None, operation="create")
    for _ in range(3):
        assert create(s, box, "b").status_code == 503
    assert titles(box) == ["a"]


def test_a_sandbox_kind_of_its_own(box: NotesSandbox) -> None:
    s = login(box)
    box.add_fault("quota", plan="pro")
    assert create(s, box, "x").json() == {"error": "quota", "plan": "pro"}


def test_bad_faults_are_refused_when_added(box: NotesSandbox) -> None:
    with pytest.raises(ValueError, match="unknown fault kind 'teapot'"):
        box.add_fault("teapot")
    with pytest.raises(ValueError, match="takes no parameter 'retry'"):
        box.add_fault("rate_limit", retry=3)
    with pytest.raises(ValueError, match="needs the parameter 'value'"):
        box.add_fault("record_error", field="title")
    with pytest.raises(ValueError, match="times must be"):
        box.add_fault("drop", times=0)
