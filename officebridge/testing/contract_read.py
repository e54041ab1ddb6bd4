"""Generated tests, part 2: paging through cursor ties, filters, cursor fields, deletes, lookup, fetch."""

from __future__ import annotations

import dataclasses
import json
import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from jsonschema import validate

from officebridge.connector import CursorKind, DeleteVisibility, OpKind, ReadRequest, WriteOp
from officebridge.testing.harness import ConnectorHarness
from officebridge.testing.support import eventually, flat, named, need, read_all, tag, tagged

PAGE = 4


def _stamp() -> datetime:
    """A whole second far in the future, different per test, so no other record shares it."""
    return datetime(2031, 1, 1, tzinfo=UTC) + timedelta(seconds=random.randrange(10_000_000))


class ReadContract:
    def test_read_ties_across_page_boundaries(self, connector_harness: ConnectorHarness) -> None:
        h, w = connector_harness, connector_harness.writable
        if h.manifest.capabilities.cursor is not CursorKind.TIMESTAMP:
            pytest.skip("the manifest declares a token cursor: ties are a timestamp matter")
        need(h, "cursor.ties")
        t = tag("ties")
        tied = h.seed(w.name, [named(h, f"{t} {i}") for i in range(9)])
        later = h.seed(w.name, [named(h, f"{t} later {i}") for i in range(3)])
        stamp = _stamp()
        h.set_cursor(w.name, tied, stamp)
        h.set_cursor(w.name, later, stamp + timedelta(seconds=1))
        request = ReadRequest(
            w.name, (w.text_field,), since=stamp, until=stamp + timedelta(seconds=2), batch_size=PAGE
        )
        pages = read_all(h.connector(), request)
        got = [r.id for r in flat(pages)]
        assert len(got) == len(set(got)), "a record was read twice"
        assert set(got) == set(tied) | set(later), "records sharing a stamp were lost at a page boundary"
        assert all(0 < len(p) <= PAGE for p in pages) and len(pages) >= math.ceil(len(got) / PAGE)
        cursors = [r.cursor for r in flat(pages)]
        assert all(c is not None and c.tzinfo is not None for c in cursors)
        assert cursors == sorted(cursors)  # type: ignore[type-var]
        assert {r.cursor for r in flat(pages) if r.id in tied} == {stamp}
        assert all(set(r.fields) == {w.text_field} and not r.deleted for r in flat(pages))

    def test_read_resumes_from_token(self, connector_harness: ConnectorHarness) -> None:
        h, w = connector_harness, connector_harness.writable
        if h.manifest.capabilities.cursor is not CursorKind.TOKEN:
            pytest.skip("the manifest declares a timestamp cursor (see the ties test)")
        t = tag("token")
        h.seed(w.name, [named(h, f"{t} {i}", **{w.other_field: t}) for i in range(6)])
        conn = h.connector()
        native = h.equals_filter(w.other_field, t) if h.manifest.capabilities.filter_schema else None
        request = ReadRequest(w.name, (w.text_field,), filter=native, batch_size=2)
        pages = list(conn.read(request))
        assert all(p.resume for p in pages), "every page of a token cursor carries its resume token"
        rest = flat(read_all(conn, dataclasses.replace(request, since=pages[0].resume)))
        assert [r.id for r in rest] == [r.id for p in pages[1:] for r in p.records]

    def test_read_filter(self, connector_harness: ConnectorHarness) -> None:
        h, w = connector_harness, connector_harness.writable
        if h.manifest.capabilities.filter_schema is None:
            pytest.skip("the manifest declares no native filter (filter_schema None)")
        t = tag("filter")
        wanted = h.seed(w.name, [named(h, f"{t} {i}", **{w.other_field: t}) for i in range(3)])
        h.seed(w.name, [named(h, f"{t} other {i}", **{w.other_field: t + "-no"}) for i in range(2)])
        native = h.equals_filter(w.other_field, t)
        validate(native, dict(h.manifest.capabilities.filter_schema))
        found = tagged(h, h.connector(), t)
        assert sorted(r.id for r in found) == sorted(wanted)
        assert all(r.fields[w.other_field] == t for r in found)
        json.dumps([r.fields for r in found])  # plain JSON-able values

    def test_read_bounds_between_whole_seconds_are_exact(self, connector_harness: ConnectorHarness) -> None:
        """`since` and `until` with a fraction of a second: nothing lost, nothing extra.

        Partitions cut the cursor line at arbitrary instants. A system whose query
        language keeps only whole seconds must still honour the exact bounds (read a
        whole second more, then drop what lies outside), or a record stamped between
        the whole second and the bound falls between two windows.
        """
        h, w = connector_harness, connector_harness.writable
        if h.manifest.capabilities.cursor is not CursorKind.TIMESTAMP:
            pytest.skip("the manifest declares a token cursor: bounds are a timestamp matter")
        need(h, "cursor.ties")
        t = tag("bounds")
        early, late = h.seed(w.name, [named(h, f"{t} {n}", **{w.other_field: t}) for n in ("early", "late")])
        stamp = _stamp()
        h.set_cursor(w.name, [early], stamp)
        h.set_cursor(w.name, [late], stamp + timedelta(seconds=1))
        cut = stamp + timedelta(milliseconds=500)
        conn = h.connector()
        assert [r.id for r in tagged(h, conn, t, since=stamp, until=cut)] == [early], "until is exclusive"
        assert [r.id for r in tagged(h, conn, t, since=cut)] == [late], "since is inclusive, and exact"
        whole = tagged(h, conn, t, since=stamp, until=stamp + timedelta(seconds=1))
        assert [r.id for r in whole] == [early]

    def test_read_by_another_cursor_field(self, connector_harness: ConnectorHarness) -> None:
        h, w = connector_harness, connector_harness.writable
        fields = h.manifest.capabilities.cursors_for(w.name)
        if len(fields) < 2:
            pytest.skip("the manifest declares a single cursor field")
        need(h, "cursor.ties")
        t = tag("cursor")
        ids = h.seed(w.name, [named(h, f"{t} {i}", **{w.other_field: t}) for i in range(3)])
        stamp = _stamp()
        h.set_cursor(w.name, ids, stamp)  # the default cursor moves; the other one stays at creation
        conn, other = h.connector(), fields[-1]  # the last: a creation stamp, which set_cursor leaves
        by_default = tagged(h, conn, t, since=stamp)
        assert sorted(r.id for r in by_default) == sorted(ids)
        assert tagged(h, conn, t, since=stamp, cursor=other) == [], f"read by {other} used another field"
        by_other = tagged(h, conn, t, cursor=other)
        assert sorted(r.id for r in by_other) == sorted(ids)
        assert all(r.cursor is not None and r.cursor < stamp for r in by_other)

    def test_deletes_follow_declared_visibility(self, connector_harness: ConnectorHarness) -> None:
        h, w = connector_harness, connector_harness.writable
        visibility = h.manifest.capabilities.deletes_for(w.name)
        kind = OpKind.ARCHIVE if visibility is DeleteVisibility.ARCHIVE else OpKind.DELETE
        need(h, f"op.{kind.value}")
        t = tag("deletes")
        keep, gone = h.seed(w.name, [named(h, f"{t} {n}", **{w.other_field: t}) for n in ("keep", "gone")])
        conn = h.connector()
        [result] = conn.write(w.name, [WriteOp(kind, "gone", target_id=gone)])
        assert result.ok, result.message
        assert [r.id for r in tagged(h, conn, t)] == [keep]
        every = {r.id: r.deleted for r in tagged(h, conn, t, include_deleted=True)}
        if visibility is DeleteVisibility.NONE:
            assert every == {keep: False}
            return
        assert every == {keep: False, gone: True}, f"{visibility.value}: the removed record must be flagged"
        assert [r.deleted for r in conn.fetch(w.name, [w.text_field], [gone])] == [True]
        if visibility is DeleteVisibility.ARCHIVE and OpKind.DELETE in h.manifest.capabilities.operations:
            assert conn.write(w.name, [WriteOp(OpKind.DELETE, "gone", target_id=gone)])[0].ok
            assert gone not in {r.id for r in tagged(h, conn, t, include_deleted=True)}

    def test_lookup(self, connector_harness: ConnectorHarness) -> None:
        h, w = connector_harness, connector_harness.writable
        if w.key_field is None:
            pytest.skip(f"{type(h).__name__}.writable declares no key field")
        key, t = w.key_field, tag("lookup")
        keys = [f"{t}-{i}" for i in range(3)]
        ids = h.seed(w.name, [named(h, f"{t} {k}", **{key: k}) for k in keys])
        conn = h.connector()
        found = conn.lookup(w.name, key, [*keys, f"{t}-missing", None])
        assert found == dict(zip(keys, ids, strict=True))
        assert conn.lookup(w.name, key, []) == {}
        [made] = conn.write(
            w.name, [WriteOp(OpKind.CREATE, "new", named(h, f"{t} new", **{key: f"{t}-new"}))]
        )
        assert made.ok, made.message
        settle = 0.0 if h.manifest.capabilities.lookup_consistent else h.lookup_settle
        just = eventually(lambda: conn.lookup(w.name, key, [f"{t}-new"]), bool, settle)
        assert just == {f"{t}-new": made.target_id}, "lookup does not see a record just written"

    def test_fetch_by_id(self, connector_harness: ConnectorHarness) -> None:
        h, w = connector_harness, connector_harness.writable
        t = tag("fetch")
        a, b = h.seed(w.name, [named(h, f"{t} a"), named(h, f"{t} b")])
        got = h.connector().fetch(w.name, [w.text_field], [b, h.missing_id, a])
        assert sorted((r.id, r.fields[w.text_field], r.deleted) for r in got) == sorted(
            [(a, f"{t} a", False), (b, f"{t} b", False)]
        )
