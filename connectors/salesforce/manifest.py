"""What officebridge knows about Salesforce without importing simple-salesforce.

Read by mapping checks and at Airflow parse time; the connector itself
(`connectors.salesforce.connector`) is imported only when a run opens it.
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


class SalesforceWire:
    """Salesforce datetimes: ISO 8601 with a numeric offset, milliseconds (`2026-01-02T03:04:05.000+0000`)."""

    def parse_datetime(self, value: Any) -> datetime | None:
        if value is None or value == "":
            return None
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        return datetime.fromisoformat(text)

    def format_datetime(self, moment: datetime) -> Any:
        utc = moment.astimezone(UTC)
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


WIRE = SalesforceWire()

MANIFEST = ConnectorManifest(
    system="salesforce",
    label="Salesforce",
    capabilities=Capabilities(
        operations=frozenset(OpKind),  # ARCHIVE only on objects with an IsActive / Active__c flag
        deletes=DeleteVisibility.TOMBSTONES,  # queryAll returns IsDeleted records from the recycle bin
        lookup_consistent=True,  # SOQL reads what was committed
        cursor=CursorKind.TIMESTAMP,
        cursor_fields=("SystemModstamp", "LastModifiedDate", "CreatedDate"),
        filter_schema={"type": "string", "minLength": 1, "description": "a SOQL WHERE condition"},
        filter_help="a SOQL condition, e.g. \"Type != 'Other'\"",
        max_write_batch=200,  # sObject Collections
        # the connector splits a call into its own requests (Bulk jobs from bulk_write_threshold,
        # composite chunks of 200) and answers every op whatever one of them does
        max_write_call=10_000,
    ),
    connection=ConnectionContract(
        default_conn_id="salesforce_default",
        conn_type="salesforce",
        hook_name="Salesforce",
        register=False,  # apache-airflow-providers-salesforce owns this connection type
        example=(
            '{"conn_type": "salesforce", "login": "user@example.com", "password": "...", '
            '"extra": {"security_token": "...", "domain": "login"}}'
        ),
    ),
    wire=WIRE,
    factory="connectors.salesforce.connector:SalesforceConnector",
)
