"""What officebridge knows about the in-memory reference system (registered as `memory`)."""

from __future__ import annotations

from typing import Any

from officebridge.connector import (
    Capabilities,
    ConnectionContract,
    ConnectorManifest,
    CursorKind,
    DeleteVisibility,
    OpKind,
)
from officebridge.testing.memory.catalog import CURSOR_FIELDS
from officebridge.testing.memory.store import FILTER_OPS
from officebridge.testing.memory.wire import WIRE

FILTER_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "[field, operator, value] terms, all of which must hold",
    "items": {
        "type": "array",
        "minItems": 3,
        "maxItems": 3,
        "prefixItems": [{"type": "string", "minLength": 1}, {"enum": list(FILTER_OPS)}, {}],
    },
}

MANIFEST = ConnectorManifest(
    system="memory",
    label="In-memory (reference)",
    capabilities=Capabilities(
        operations=frozenset(OpKind),
        deletes=DeleteVisibility.TOMBSTONES,  # tombstones; archived records are flagged too
        lookup_consistent=True,
        cursor=CursorKind.TIMESTAMP,
        cursor_fields=CURSOR_FIELDS,
        filter_schema=FILTER_SCHEMA,
        filter_help='terms, e.g. [["country", "=", "Germany"]]',
        max_write_batch=100,
    ),
    connection=ConnectionContract(
        default_conn_id="memory_default",
        conn_type="memory",
        hook_name="In-memory (tests)",
        register=False,  # a test fixture, not a connection type for Airflow's form
        example="memory://memory:secret@crm/default",
    ),
    wire=WIRE,
    factory="officebridge.testing.memory.connector:MemoryConnector",
    naive_datetimes_are_utc=True,
)
