"""Generated tests, part 1: manifest, protocol, check, credentials, settings, reachability, describe."""

from __future__ import annotations

import logging
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from importlib.metadata import entry_points

import pytest
from jsonschema import Draft202012Validator

from officebridge.connector import (
    ENTRY_POINT_GROUP,
    Connector,
    ConnectorManifest,
    CursorKind,
    DeleteVisibility,
    FieldKind,
    OpKind,
    manifests,
)
from officebridge.errors import AuthenticationError, ConfigError, UnreachableError
from officebridge.testing.harness import ConnectorHarness
from officebridge.testing.support import assert_no_leak, exception_text

UNREACHABLE_WITHIN = 10.0  # seconds: a host that is down must not hold a run for minutes


class SetupContract:
    def test_manifest_is_registered_and_consistent(self, connector_harness: ConnectorHarness) -> None:
        m = connector_harness.manifest
        assert isinstance(m, ConnectorManifest)
        assert manifests().get(m.system) == m, f"{m.system!r} is not registered in {ENTRY_POINT_GROUP}"
        caps = m.capabilities
        assert caps.operations and caps.operations <= set(OpKind)
        assert caps.cursor_fields and len(set(caps.cursor_fields)) == len(caps.cursor_fields)
        assert caps.max_write_batch >= 1
        if caps.filter_schema is not None:
            Draft202012Validator.check_schema(dict(caps.filter_schema))
        assert set(caps.object_deletes.values()) <= set(DeleteVisibility)
        contract = m.connection
        assert contract.default_conn_id == f"{m.system}_default"
        assert contract.conn_type and contract.hook_name
        assert not contract.register or contract.hook_class, "a registered connection type needs a hook"
        factory = m.load()
        assert getattr(factory, "manifest", None) is m, "the connector class must carry its own manifest"

    def test_wire_datetimes_round_trip(self, connector_harness: ConnectorHarness) -> None:
        m = connector_harness.manifest
        moment = datetime(2031, 2, 3, 4, 5, 6, tzinfo=UTC)
        parsed = m.wire.parse_datetime(m.wire.format_datetime(moment))
        assert parsed is not None
        if parsed.tzinfo is None:
            assert m.naive_datetimes_are_utc, (
                "naive wire datetimes, but the manifest does not say they are UTC"
            )
            parsed = parsed.replace(tzinfo=UTC)
        assert parsed == moment

    def test_manifest_imports_no_client(self, connector_harness: ConnectorHarness) -> None:
        m = connector_harness.manifest
        [ep] = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == m.system]
        heavy = [m.factory.partition(":")[0], *connector_harness.client_modules]
        probe = f"import sys, {ep.module}; print([m for m in {heavy!r} if m in sys.modules])"
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
        assert out.stdout.strip() == "[]", f"importing {ep.module} imports {out.stdout.strip()}"

    def test_satisfies_protocol_and_checks(self, connector_harness: ConnectorHarness) -> None:
        conn = connector_harness.connector()
        assert isinstance(conn, Connector)
        assert type(conn).manifest is connector_harness.manifest
        conn.check()
        conn.close()

    def test_refused_credentials_show_no_secret(
        self, connector_harness: ConnectorHarness, caplog: pytest.LogCaptureFixture
    ) -> None:
        h = connector_harness
        caplog.set_level(logging.DEBUG)
        wrong = f"Wr0ng/Pa55+w=rd&é-{uuid.uuid4().hex[:6]}"
        bad = h.connection(password=wrong)
        with pytest.raises(AuthenticationError) as info:
            h.connector(bad).check()
        assert bad.conn_id in str(info.value), "the error must name the connection"
        texts = {"the error": exception_text(info.value), "the log": caplog.text}
        texts["log arguments"] = "\n".join(repr(r.args) for r in caplog.records)
        assert_no_leak(texts, [wrong, *h.secrets()], bad.login)

    def test_secrets_never_logged_while_working(
        self, connector_harness: ConnectorHarness, caplog: pytest.LogCaptureFixture
    ) -> None:
        h = connector_harness
        caplog.set_level(logging.DEBUG)
        conn = h.connector()
        conn.check()
        conn.describe(h.writable.name)
        texts = {"the log": caplog.text, "the connector's repr": repr(conn)}
        assert_no_leak(texts, h.secrets(), h.base_connection().login)

    def test_settings_problems_reported_at_once(self, connector_harness: ConnectorHarness) -> None:
        bad = connector_harness.bad_settings()
        assert len(bad.names) >= 2, "give at least two problems: the test is that all are reported"
        with pytest.raises(ConfigError) as info:
            connector_harness.connector(bad.connection).check()
        missing = [name for name in bad.names if name not in str(info.value)]
        assert not missing, f"one ConfigError must name every problem; missing {missing}: {info.value}"

    def test_unreachable_host_fails_fast(self, connector_harness: ConnectorHarness) -> None:
        conn = connector_harness.unreachable()
        started = time.monotonic()
        with pytest.raises(UnreachableError) as info:
            connector_harness.connector(conn).check()
        assert time.monotonic() - started < UNREACHABLE_WITHIN
        assert conn.conn_id in str(info.value), "the error must name the connection"

    def test_describe(self, connector_harness: ConnectorHarness) -> None:
        h, w = connector_harness, connector_harness.writable
        conn = h.connector()
        info = conn.describe(w.name)
        assert info.name == w.name
        for name in (w.text_field, w.other_field):
            assert name in info.fields and not info.fields[name].readonly
        assert all(isinstance(f.kind, FieldKind) and f.name == n for n, f in info.fields.items())
        if w.key_field is not None:
            assert info.fields[w.key_field].external_id
        if h.manifest.capabilities.cursor is CursorKind.TIMESTAMP:
            for cursor in h.manifest.capabilities.cursors_for(w.name):
                assert info.fields[cursor].kind is FieldKind.DATETIME and info.fields[cursor].readonly
        with pytest.raises(ConfigError):
            conn.describe(h.unknown_object)
