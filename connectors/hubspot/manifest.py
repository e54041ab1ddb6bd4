"""What officebridge knows about HubSpot without importing hubspot-api-client.

Read by mapping checks and at Airflow parse time; the connector itself
(`connectors.hubspot.connector`) is imported only when a run opens it. No
Airflow provider owns a `hubspot` connection type (the Apache providers have
none), so officebridge registers it: password = the private app's access
token, host = an API base URL other than https://api.hubapi.com (a sandbox),
extra.ca_file = a CA bundle to trust.
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

MAX_GROUPS, MAX_FILTERS_PER_GROUP = 5, 9  # HubSpot allows 10 per group; the cursor filter takes one
OPERATORS = [
    "EQ",
    "NEQ",
    "LT",
    "LTE",
    "GT",
    "GTE",
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN",
]
FILTER_SCHEMA: dict[str, Any] = {
    "description": "HubSpot search filterGroups: groups are ORed, the filters of a group ANDed",
    "type": "array",
    "minItems": 1,
    "maxItems": MAX_GROUPS,
    "items": {
        "type": "object",
        "required": ["filters"],
        "additionalProperties": False,
        "properties": {
            "filters": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_FILTERS_PER_GROUP,
                "items": {
                    "type": "object",
                    "required": ["propertyName", "operator"],
                    "additionalProperties": False,
                    "properties": {
                        "propertyName": {"type": "string", "minLength": 1},
                        "operator": {"enum": OPERATORS},
                        "value": {"type": ["string", "number", "boolean"]},
                        "highValue": {"type": ["string", "number"]},
                        "values": {"type": "array", "items": {"type": ["string", "number", "boolean"]}},
                    },
                },
            }
        },
    },
}
HUBSPOT_FIELDS: dict[str, Any] = {
    "ca_file": {"label": "CA bundle (path)", "schema": {"type": ["string", "null"]}},
    "timeout": {"label": "Timeout (seconds)", "schema": {"type": ["integer", "null"], "default": 60}},
}
HUBSPOT_BEHAVIOUR: dict[str, Any] = {
    "hidden-fields": ["login", "port", "schema", "extra"],
    "relabeling": {"password": "Access token (private app)", "host": "API base URL (optional)"},
    "placeholders": {"host": "https://api.hubapi.com", "password": "pat-na1-..."},
}


class HubSpotWire:
    """HubSpot datetimes: ISO 8601 UTC with milliseconds (`2026-01-02T03:04:05.678Z`); epoch ms accepted."""

    def parse_datetime(self, value: Any) -> datetime | None:
        if value is None or value == "":
            return None
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        if text.lstrip("-").isdigit():
            return datetime.fromtimestamp(int(text) / 1000, UTC)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def format_datetime(self, moment: datetime) -> Any:
        utc = moment.astimezone(UTC)
        return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


WIRE = HubSpotWire()

MANIFEST = ConnectorManifest(
    system="hubspot",
    label="HubSpot",
    capabilities=Capabilities(
        operations=frozenset({OpKind.CREATE, OpKind.UPDATE, OpKind.UPSERT, OpKind.ARCHIVE}),
        deletes=DeleteVisibility.ARCHIVE,  # archived=true lists archived records; GDPR purges vanish
        lookup_consistent=False,  # lookups by a non-unique property go through search, which lags writes
        cursor=CursorKind.TIMESTAMP,
        cursor_fields=("hs_lastmodifieddate", "createdate"),
        object_cursor_fields={"contacts": ("lastmodifieddate", "createdate")},  # contacts' own stamp name
        filter_schema=FILTER_SCHEMA,
        filter_help='filterGroups, e.g. [{"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", '
        '"value": "lead"}]}]',
        max_write_batch=100,
    ),
    connection=ConnectionContract(
        default_conn_id="hubspot_default",
        conn_type="hubspot",
        hook_name="HubSpot",
        hook_class="connectors.hubspot.airflow.HubSpotHook",
        fields=HUBSPOT_FIELDS,
        behaviour=HUBSPOT_BEHAVIOUR,
        example='{"conn_type": "hubspot", "password": "pat-na1-..."}',
    ),
    wire=WIRE,
    factory="connectors.hubspot.connector:HubSpotConnector",
)
