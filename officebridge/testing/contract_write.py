"""Generated tests, part 3: every declared operation, and partial failure kept to its record."""

from __future__ import annotations

import pytest

from officebridge.connector import OpKind, WriteOp, WriteStatus
from officebridge.testing.harness import ConnectorHarness
from officebridge.testing.support import injector, named, need, tag, tagged


def _supported(h: ConnectorHarness, kind: OpKind) -> None:
    if kind not in h.manifest.capabilities.operations:
        pytest.skip(f"the manifest declares no {kind.value}")
    need(h, f"op.{kind.value}")


class WriteContract:
    def test_create(self, connector_harness: ConnectorHarness) -> None:
        h, w = connector_harness, connector_harness.writable
        _supported(h, OpKind.CREATE)
        t = tag("create")
        [result] = h.connector().write(w.name, [WriteOp(OpKind.CREATE, "r1", named(h, t))])
        assert result.ok and result.created and result.ref == "r1", result.message
        assert [r["id"] for r in h.rows(w.name, w.text_field, t)] == [result.target_id]

    def test_update(self, connector_harness: ConnectorHarness) -> None:
        h, w = connector_harness, connector_harness.writable
        _supported(h, OpKind.UPDATE)
        t = tag("update")
        [target] = h.seed(w.name, [named(h, t)])
        op = WriteOp(OpKind.UPDATE, "r1", {w.other_field: t + "-new"}, target_id=target)
        [result] = h.connector().write(w.name, [op])
        assert result.ok and not result.created and result.target_id == target, result.message
        assert [r[w.other_field] for r in h.rows(w.name, w.text_field, t)] == [t + "-new"]

    def test_upsert_creates_then_updates(self, connector_harness: ConnectorHarness) -> None:
        h, w = connector_harness, connector_harness.writable
        _supported(h, OpKind.UPSERT)
        if w.key_field is None:
            pytest.skip(f"{type(h).__name__}.writable declares no key field")
        key, t = w.key_field, tag("upsert")
        conn = h.connector()

        def upsert(text: str) -> tuple[bool, bool, str | None]:
            op = WriteOp(OpKind.UPSERT, "r1", named(h, text, **{key: t}), key_field=key)
            [r] = conn.write(w.name, [op])
            return r.ok, r.created, r.target_id

        ok1, created1, id1 = upsert(t + " v1")
        ok2, created2, id2 = upsert(t + " v2")
        assert (ok1, created1, ok2, created2) == (True, True, True, False) and id1 == id2
        assert [(r["id"], r[w.text_field]) for r in h.rows(w.name, key, t)] == [(id1, t + " v2")]

    def test_archive(self, connector_harness: ConnectorHarness) -> None:
        h, w = connector_harness, connector_harness.writable
        _supported(h, OpKind.ARCHIVE)
        t = tag("archive")
        [target] = h.seed(w.name, [named(h, t, **{w.other_field: t})])
        conn = h.connector()
        [result] = conn.write(w.name, [WriteOp(OpKind.ARCHIVE, "r1", target_id=target)])
        assert result.ok, result.message
        assert tagged(h, conn, t) == [], "an archived record still reads as live"
        assert [r.deleted for r in conn.fetch(w.name, [w.text_field], [target])] == [True]

    def test_delete(self, connector_harness: ConnectorHarness) -> None:
        h, w = connector_harness, connector_harness.writable
        _supported(h, OpKind.DELETE)
        t = tag("delete")
        [target] = h.seed(w.name, [named(h, t)])
        conn = h.connector()
        [result] = conn.write(w.name, [WriteOp(OpKind.DELETE, "r1", target_id=target)])
        assert result.ok, result.message
        assert h.rows(w.name, w.text_field, t) == []
        [again] = conn.write(w.name, [WriteOp(OpKind.DELETE, "r1", target_id=target)])
        assert again.status is WriteStatus.FAILED and again.error_code, "a second delete is a failed result"

    def test_refused_record_fails_alone(self, connector_harness: ConnectorHarness) -> None:
        h, w = connector_harness, connector_harness.writable
        _supported(h, OpKind.UPDATE)
        t = tag("refused")
        ops = [
            WriteOp(OpKind.CREATE, "a", named(h, t + " a")),
            WriteOp(OpKind.UPDATE, "gone", {w.other_field: t}, target_id=h.missing_id),
            WriteOp(OpKind.CREATE, "b", named(h, t + " b")),
        ]
        results = h.connector().write(w.name, ops)
        assert [r.ref for r in results] == ["a", "gone", "b"]
        assert [r.status for r in results] == [WriteStatus.OK, WriteStatus.FAILED, WriteStatus.OK]
        assert results[1].error_code and results[1].message
        assert len(h.rows(w.name, w.text_field, t + " a")) == len(h.rows(w.name, w.text_field, t + " b")) == 1

    def test_record_error_fails_only_that_record(self, connector_harness: ConnectorHarness) -> None:
        h, w = connector_harness, connector_harness.writable
        faults = injector(h, "record_error")
        t = tag("poison")
        poison = t + " poison"
        # no `code`: each system refuses with codes of its own (Odoo's are exception names)
        faults.add_fault(
            "record_error", object=w.name, field=w.text_field, value=poison, message="poison is refused"
        )
        texts = [t + " a", poison, t + " b"]
        results = h.connector().write(w.name, [WriteOp(OpKind.CREATE, x, named(h, x)) for x in texts])
        assert [r.ref for r in results] == texts
        assert [r.status for r in results] == [WriteStatus.OK, WriteStatus.FAILED, WriteStatus.OK]
        assert results[1].error_code and results[1].target_id is None
        assert "poison is refused" in (results[1].message or "")
        assert [len(h.rows(w.name, w.text_field, x)) for x in texts] == [1, 0, 1]
