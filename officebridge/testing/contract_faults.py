"""Generated tests, part 4: transient faults retried, sessions renewed, unknown outcomes never resent."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from officebridge.connector import OpKind, WriteOp, WriteStatus
from officebridge.testing.harness import ConnectorHarness
from officebridge.testing.support import assert_no_leak, eventually, injector, named, tag, tagged


def _count(stats: Any, operation: str) -> int:
    return int(stats["by_operation"].get(operation, 0))


def _prepared(h: ConnectorHarness, what: str) -> tuple[Any, str, list[str]]:
    """A logged-in connector and a few tagged records; stats start from zero."""
    w = h.writable
    t = tag(what)
    ids = h.seed(w.name, [named(h, f"{t} {i}", **{w.other_field: t}) for i in range(2)])
    conn = h.connector()
    conn.check()
    return conn, t, ids


def _fault_free_reads(h: ConnectorHarness, conn: Any, t: str, faults: Any, read_op: str) -> int:
    """Read requests one fault-free read of the tagged records costs (a connector may merge streams)."""
    tagged(h, conn, t)
    count = _count(faults.stats(), read_op)
    faults.reset_stats()
    return count


class FaultContract:
    def test_rate_limit_waits_for_retry_after(self, connector_harness: ConnectorHarness) -> None:
        h = connector_harness
        faults = injector(h, "rate_limit")
        conn, t, ids = _prepared(h, "ratelimit")
        faults.reset_stats()
        read_op = h.operation("read", h.writable.name)
        base = _fault_free_reads(h, conn, t, faults, read_op)
        faults.add_fault("rate_limit", operation=read_op, retry_after=1)
        started = time.monotonic()
        found = tagged(h, conn, t)
        assert time.monotonic() - started >= 0.95, "the connector did not wait as Retry-After asked"
        assert sorted(r.id for r in found) == sorted(ids)
        stats = faults.stats()
        assert stats["faults"].get("rate_limit") == 1 and _count(stats, read_op) == base + 1

    def test_server_error_retried_for_reads(self, connector_harness: ConnectorHarness) -> None:
        h = connector_harness
        faults = injector(h, "server_error")
        conn, t, ids = _prepared(h, "5xx")
        faults.reset_stats()
        read_op = h.operation("read", h.writable.name)
        base = _fault_free_reads(h, conn, t, faults, read_op)
        faults.add_fault("server_error", times=2, operation=read_op, status=503)
        assert sorted(r.id for r in tagged(h, conn, t)) == sorted(ids)
        assert _count(faults.stats(), read_op) == base + 2

    def test_read_timeout_retried(self, connector_harness: ConnectorHarness) -> None:
        h = connector_harness
        faults = injector(h, "timeout")
        conn, t, ids = _prepared(h, "timeout")
        faults.reset_stats()
        read_op = h.operation("read", h.writable.name)
        base = _fault_free_reads(h, conn, t, faults, read_op)
        faults.add_fault("timeout", operation=read_op)
        started = time.monotonic()
        assert sorted(r.id for r in tagged(h, conn, t)) == sorted(ids)
        assert time.monotonic() - started >= h.client_timeout * 0.9, "the first read did not time out"
        assert _count(faults.stats(), read_op) == base + 1

    def test_expired_session_logs_in_again(
        self, connector_harness: ConnectorHarness, caplog: pytest.LogCaptureFixture
    ) -> None:
        h = connector_harness
        faults = injector(h, "expire_sessions")
        caplog.set_level(logging.DEBUG)
        conn, t, ids = _prepared(h, "session")
        faults.reset_stats()
        faults.add_fault("expire_sessions", operation=h.operation("read", h.writable.name))
        assert sorted(r.id for r in tagged(h, conn, t)) == sorted(ids)
        assert _count(faults.stats(), h.operation("login", h.writable.name)) == 1
        assert_no_leak({"the log": caplog.text}, h.secrets(), h.base_connection().login)

    @pytest.mark.parametrize("kind", ["drop", "slow"])
    def test_unknown_outcome_is_reported_not_resent(
        self, connector_harness: ConnectorHarness, kind: str
    ) -> None:
        h, w = connector_harness, connector_harness.writable
        faults = injector(h, kind)
        conn, t, _ids = _prepared(h, f"unknown-{kind}")
        faults.reset_stats()
        create_op = h.operation("create", w.name)
        params: dict[str, Any] = {"after": True} if kind == "drop" else {"seconds": h.client_timeout + 1.5}
        faults.add_fault(kind, operation=create_op, **params)
        text = t + " maybe"
        [result] = conn.write(w.name, [WriteOp(OpKind.CREATE, "maybe", named(h, text))])
        assert result.status is WriteStatus.UNKNOWN and result.error_code == "OUTCOME_UNKNOWN", result
        landed = eventually(lambda: h.rows(w.name, w.text_field, text), bool, h.client_timeout + 5)
        assert len(landed) == 1, f"the create landed {len(landed)} times"
        assert _count(faults.stats(), create_op) == 1, "a write of unknown outcome was sent again"
