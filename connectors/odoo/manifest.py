"""What officebridge knows about Odoo without importing OdooRPC.

Read by mapping checks, Airflow's provider registry and at DAG parse time;
the connector itself (`connectors.odoo.connector`) is imported only when a run
opens it.
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

ODOO_DATETIME = "%Y-%m-%d %H:%M:%S"

_TERM = {
    "type": "array",
    "minItems": 3,
    "maxItems": 3,
    "prefixItems": [{"type": "string", "minLength": 1}, {"type": "string", "minLength": 1}, {}],
}
DOMAIN_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "an Odoo domain: [field, operator, value] terms and the prefix operators '&', '|', '!'",
    "items": {"anyOf": [{"enum": ["&", "|", "!"]}, _TERM]},
}


class OdooWire:
    """Odoo datetimes: naive strings that mean UTC (`2026-01-02 03:04:05`)."""

    def parse_datetime(self, value: Any) -> datetime | None:
        if value is None or value is False or value == "":
            return None
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        try:
            return datetime.strptime(text[:19], ODOO_DATETIME)
        except ValueError:
            return datetime.fromisoformat(text)

    def format_datetime(self, moment: datetime) -> Any:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime(ODOO_DATETIME)


ODOO_FIELDS: dict[str, Any] = {
    "protocol": {
        "label": "Protocol",
        "description": "jsonrpc (plain HTTP, e.g. a local sandbox) or jsonrpc+ssl (HTTPS, any hosted Odoo)",
        "schema": {"type": ["string", "null"], "enum": ["jsonrpc", "jsonrpc+ssl"], "default": "jsonrpc+ssl"},
    },
    "timeout": {
        "label": "Timeout (seconds)",
        "schema": {"type": ["integer", "null"], "default": 120},
    },
}
ODOO_BEHAVIOUR: dict[str, Any] = {
    "hidden-fields": ["extra"],
    "relabeling": {"schema": "Database", "login": "Login (user name)", "password": "Password or API key"},
    "placeholders": {
        "host": "mycompany.odoo.com",
        "port": "443 for jsonrpc+ssl, 8069 for jsonrpc",
        "schema": "mycompany",
        "login": "integration@mycompany.com",
    },
}

WIRE = OdooWire()

MANIFEST = ConnectorManifest(
    system="odoo",
    label="Odoo",
    capabilities=Capabilities(
        operations=frozenset(OpKind),  # upsert: a lookup of the key, then create or write
        deletes=DeleteVisibility.ARCHIVE,  # active=False is seen; unlink leaves no trace
        lookup_consistent=True,  # search_read reads committed rows
        cursor=CursorKind.TIMESTAMP,
        cursor_fields=("write_date", "create_date"),
        filter_schema=DOMAIN_SCHEMA,
        filter_help='a domain, e.g. [["is_company", "=", true]]',
        max_write_batch=1000,  # one create/write of 1,000 records; a refusal is bisected
    ),
    connection=ConnectionContract(
        default_conn_id="odoo_default",
        conn_type="odoo",
        hook_name="Odoo",
        hook_class="connectors.odoo.airflow.OdooHook",
        fields=ODOO_FIELDS,
        behaviour=ODOO_BEHAVIOUR,
        example="odoo://admin:secret@erp.example.com:8069/production?protocol=jsonrpc%2Bssl",
    ),
    wire=WIRE,
    factory="connectors.odoo.connector:OdooConnector",
    naive_datetimes_are_utc=True,
)
