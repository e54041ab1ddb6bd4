"""Token cursors: the watermark is the resume token of the last committed page, read back exactly.

The source is "ledger", an append-only in-memory system whose reads resume
after an opaque token (no change stamps, so no overlap window and no cursor
windows); it is registered the way a plug-in is (a manifest under its system
name, opened through its factory). The target is the real Odoo sandbox.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest

from officebridge.connections import Connection
from officebridge.connector import (
    Capabilities,
    ConnectionContract,
    ConnectorManifest,
    CursorKind,
    DeleteVisibility,
    FieldInfo,
    FieldKind,
    ObjectInfo,
    OpKind,
    Page,
    ReadRequest,
    SourceRecord,
    WriteOp,
    WriteResult,
    manifests,
)
from officebridge.errors import RetriableError
from officebridge.sync.partitions import INCREMENTAL, plan_partitions
from officebridge.sync.run import RunOptions
from officebridge.sync.runner import prepared
from tests.integration.sync.conftest import Bridge


class IsoWire:
    def parse_datetime(self, value: Any) -> Any:
        return None

    def format_datetime(self, moment: Any) -> Any:
        return moment.isoformat()


MANIFEST = ConnectorManifest(
    system="ledger",
    label="Ledger",
    capabilities=Capabilities(
        operations=frozenset({OpKind.CREATE}),
        deletes=DeleteVisibility.NONE,
        lookup_consistent=True,
        cursor=CursorKind.TOKEN,
        cursor_fields=("sequence",),
        filter_schema={"type": "object"},
        max_write_batch=100,
    ),
    connection=ConnectionContract(default_conn_id="ledger_default", conn_type="ledger", hook_name="Ledger"),
    wire=IsoWire(),
    factory=f"{__name__}:LedgerConnector",
)


@dataclass
class Ledger:
    """The system's state: entries in order, the `since` of every read, a fault to inject."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    reads: list[Any] = field(default_factory=list)
    fail_after_pages: int | None = None

    def add(self, n: int) -> None:
        start = len(self.entries)
        self.entries += [
            {"id": f"L{i:04d}", "name": f"Ledger customer {i}"} for i in range(start + 1, start + n + 1)
        ]


LEDGER = Ledger()


class LedgerConnector:
    manifest: ClassVar[ConnectorManifest] = MANIFEST

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def check(self) -> None:
        return None

    def describe(self, object_name: str) -> ObjectInfo:
        names = {"id": FieldKind.ID, "name": FieldKind.STRING}
        return ObjectInfo(object_name, "Entry", {n: FieldInfo(n, k.value, kind=k) for n, k in names.items()})

    def read(self, request: ReadRequest) -> Iterator[Page]:
        LEDGER.reads.append(request.since)
        position = int(str(request.since).removeprefix("seq:")) if request.since else 0
        pages = 0
        while position < len(LEDGER.entries):
            if LEDGER.fail_after_pages is not None and pages >= LEDGER.fail_after_pages:
                raise RetriableError("ledger: connection reset")
            chunk = LEDGER.entries[position : position + request.batch_size]
            position += len(chunk)
            pages += 1
            yield Page([SourceRecord(e["id"], None, False, dict(e)) for e in chunk], resume=f"seq:{position}")

    def fetch(self, object_name: str, fields: Sequence[str], ids: Sequence[str]) -> list[SourceRecord]:
        return [SourceRecord(e["id"], None, False, dict(e)) for e in LEDGER.entries if e["id"] in ids]

    def lookup(self, object_name: str, field_name: str, values: Sequence[Any]) -> dict[Any, str]:
        return {}

    def write(self, object_name: str, ops: Sequence[WriteOp]) -> list[WriteResult]:
        return [WriteResult.failure(op, "READ_ONLY", "the ledger is read-only here") for op in ops]

    def close(self) -> None:
        return None


MAPPING = """\
version: 1
name: ledger_to_odoo
source: {system: ledger, object: entry}
target: {system: odoo, object: res.partner, match: ref}
fields:
  ref: id
  name: name
  is_company: {constant: true}
"""


@pytest.fixture
def ledger(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setitem(manifests(), "ledger", MANIFEST)
    monkeypatch.setenv("AIRFLOW_CONN_LEDGER_DEFAULT", '{"conn_type": "ledger"}')
    LEDGER.entries.clear()
    LEDGER.reads.clear()
    LEDGER.fail_after_pages = None
    LEDGER.add(5)
    path = tmp_path / "ledger_to_odoo.yaml"
    path.write_text(MAPPING)
    return path


def _refs(bridge: Bridge) -> list[str]:
    return sorted(p["ref"] for p in bridge.partners([["ref", "=like", "L%"]]))


def test_the_watermark_is_the_last_pages_token_and_the_next_run_resumes_exactly(
    bridge: Bridge, ledger: Path
) -> None:
    with prepared(ledger, bridge.store, RunOptions()) as run:
        assert plan_partitions(run, 4) == [INCREMENTAL]  # no cursor line to cut into windows
    first = bridge.run(ledger, read_batch=2)  # pages of 2, 2, 1
    assert first.counts.created == 5 and bridge.store.watermark("ledger_to_odoo") == "seq:5"
    assert first.watermark == "seq:5"

    quiet = bridge.run(ledger, read_batch=2)  # the token is passed as it is: no overlap, nothing re-read
    assert LEDGER.reads[-1] == "seq:5" and quiet.counts.read == 0

    LEDGER.add(2)
    more = bridge.run(ledger, read_batch=2)
    assert (more.counts.read, more.counts.created) == (2, 2)
    assert bridge.store.watermark("ledger_to_odoo") == "seq:7"
    assert _refs(bridge) == [f"L{i:04d}" for i in range(1, 8)]


def test_a_run_that_fails_mid_read_keeps_the_token_of_its_last_committed_page(
    bridge: Bridge, ledger: Path
) -> None:
    LEDGER.fail_after_pages = 1
    with pytest.raises(RetriableError):
        bridge.run(ledger, read_batch=2)
    assert bridge.store.watermark("ledger_to_odoo") == "seq:2" and len(_refs(bridge)) == 2

    LEDGER.fail_after_pages = None
    rerun = bridge.run(ledger, read_batch=2)
    assert LEDGER.reads[-1] == "seq:2"
    assert (rerun.counts.read, rerun.counts.created) == (3, 3)
    assert _refs(bridge) == [f"L{i:04d}" for i in range(1, 6)]  # nothing lost, nothing twice
