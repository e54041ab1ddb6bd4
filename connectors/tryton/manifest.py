"""What officebridge knows about Tryton without importing `requests` or the connector.

Capabilities, honestly:

- Deletes: Tryton deletes are hard deletes with no tombstone; a deleted record
  simply stops being found. Deactivation (`active` = false, on parties,
  addresses, contact mechanisms, employees) is seen with `include_deleted` and
  flagged deleted: hence ARCHIVE. Hard deletes could only be found by
  reconciling ids: list every id of the model (`search` with `active_test`
  off, ~1 MB of JSON per 100,000 ids, one call per page) and compare with the
  linked ids; that costs a full id scan per run, so it is not done by `read`.
- Cursor: a timestamp. Tryton leaves `write_date` NULL after a create (sale,
  opportunity, employee; party happens to set it), so the `write_date` cursor
  means COALESCE(write_date, create_date): records never edited are read by
  their create_date, merged into one (stamp, id) order. `create_date` reads
  new records only. Stamps are naive UTC with microseconds; one per transaction.
- Filter: a Tryton domain (`[["field", "op", value], ...]`, with "OR"/"AND"
  prefixes and nested lists), sent to the server as given.
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

_CLAUSE: dict[str, Any] = {
    "type": "array",
    "minItems": 3,
    "maxItems": 4,
    "prefixItems": [{"type": "string", "minLength": 1}, {"type": "string", "minLength": 1}, {}],
}
DOMAIN_DEPTH = 4  # nested lists a filter may hold; unrolled, because the schema is embedded in others


def _domain(depth: int) -> dict[str, Any]:
    """A domain schema without $ref: it is embedded in mapping.schema.json, where '#' is not ours."""
    nested = [_domain(depth - 1)] if depth > 0 else []
    return {"type": "array", "items": {"anyOf": [{"enum": ["AND", "OR"]}, _CLAUSE, *nested]}}


DOMAIN_SCHEMA: dict[str, Any] = {
    **_domain(DOMAIN_DEPTH),
    "description": 'a Tryton domain: [field, operator, value] clauses, "OR"/"AND" prefixes, nested lists',
}


class TrytonWire:
    """Tryton datetimes: tagged `{"__class__": "datetime", ...}` objects or ISO strings, naive UTC."""

    def parse_datetime(self, value: Any) -> datetime | None:
        if value is None or value is False or value == "":
            return None
        if isinstance(value, datetime):
            return value
        if isinstance(value, dict) and value.get("__class__") == "datetime":
            v = value
            return datetime(v["year"], v["month"], v["day"], v.get("hour", 0), v.get("minute", 0),
                            v.get("second", 0), v.get("microsecond", 0))  # fmt: skip
        return datetime.fromisoformat(str(value).strip())

    def format_datetime(self, moment: datetime) -> Any:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).replace(tzinfo=None)  # the connector tags it on the wire


TRYTON_FIELDS: dict[str, Any] = {
    "protocol": {
        "label": "Protocol",
        "description": "http (a local server) or https (any hosted Tryton)",
        "schema": {"type": ["string", "null"], "enum": ["http", "https"], "default": "https"},
    },
    "timeout": {"label": "Timeout (seconds)", "schema": {"type": ["integer", "null"], "default": 120}},
}
TRYTON_BEHAVIOUR: dict[str, Any] = {
    "hidden-fields": ["extra"],
    "relabeling": {"schema": "Database", "login": "Login (user name)", "password": "Password"},
    "placeholders": {
        "host": "erp.example.com",
        "port": "443 for https, 8000 for http",
        "schema": "tryton",
        "login": "integration",
    },
}

WIRE = TrytonWire()

MANIFEST = ConnectorManifest(
    system="tryton",
    label="Tryton",
    capabilities=Capabilities(
        operations=frozenset(OpKind),  # upsert: a lookup of the key, then create or write
        deletes=DeleteVisibility.ARCHIVE,  # active=false is seen; delete leaves no trace (see above)
        lookup_consistent=True,  # search_read reads committed rows
        cursor=CursorKind.TIMESTAMP,
        cursor_fields=("write_date", "create_date"),
        filter_schema=DOMAIN_SCHEMA,
        filter_help='a Tryton domain, e.g. [["state", "=", "posted"], ["type", "=", "out"]]',
        max_write_batch=200,
    ),
    connection=ConnectionContract(
        default_conn_id="tryton_default",
        conn_type="tryton",
        hook_name="Tryton",
        hook_class="connectors.tryton.airflow.TrytonHook",
        fields=TRYTON_FIELDS,
        behaviour=TRYTON_BEHAVIOUR,
        example="tryton://admin:secret@erp.example.com:443/tryton?protocol=https",
    ),
    wire=WIRE,
    factory="connectors.tryton.connector:TrytonConnector",
    naive_datetimes_are_utc=True,
)
