"""What officebridge knows about Zendesk Support without importing zenpy.

Reads use the incremental exports, whose resume points are opaque: the cursor
export's `after_cursor` for tickets and users, and for organizations (which
Zendesk exports by time only) a token of our own carrying the `end_time` and
the ids already seen at that second. Lookups by email go through Zendesk
search, whose index lags behind writes, so `lookup_consistent` is False; that
cannot cause a double write, because users and organizations are written with
create-or-update by `external_id`, which Zendesk matches server-side.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from officebridge.connector import (
    Capabilities,
    ConnectionContract,
    ConnectorManifest,
    CursorKind,
    DeleteVisibility,
    OpKind,
)


class ZendeskWire:
    """Zendesk datetimes: ISO 8601 in UTC with whole seconds and `Z` (`2026-01-02T03:04:05Z`)."""

    def parse_datetime(self, value: Any) -> datetime | None:
        if value is None or value == "":
            return None
        if isinstance(value, datetime):
            return value
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value, UTC)
        text = str(value).strip()
        return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)

    def format_datetime(self, moment: datetime) -> Any:
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


WIRE = ZendeskWire()

MANIFEST = ConnectorManifest(
    system="zendesk",
    label="Zendesk Support",
    capabilities=Capabilities(
        # UPSERT on users and organizations only (by external_id); ARCHIVE nowhere: see connector.py
        operations=frozenset({OpKind.CREATE, OpKind.UPDATE, OpKind.UPSERT, OpKind.DELETE}),
        deletes=DeleteVisibility.TOMBSTONES,  # tickets: status "deleted"; users: active false
        object_deletes={"organizations": DeleteVisibility.NONE},  # a deleted organization just vanishes
        lookup_consistent=False,  # email lookups use search, whose index lags
        cursor=CursorKind.TOKEN,
        cursor_fields=("generated_timestamp",),
        filter_schema=None,  # the incremental exports take no filter
        filter_help="no filter: the incremental exports return every change",
        max_write_batch=100,  # create_many / update_many / create_or_update_many
    ),
    connection=ConnectionContract(
        default_conn_id="zendesk_default",
        conn_type="zendesk",
        hook_name="Zendesk",
        register=False,  # apache-airflow-providers-zendesk owns this connection type
        example=(
            '{"conn_type": "zendesk", "host": "acme.zendesk.com", "login": "agent@acme.com", '
            '"extra": {"token": "..."}}'
        ),
    ),
    wire=WIRE,
    factory="connectors.zendesk.connector:ZendeskConnector",
    naive_datetimes_are_utc=True,
)
