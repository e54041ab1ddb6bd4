"""Demo data for a local Tryton (`python -m connectors.tryton.server --demo`): parties with contacts.

Written through the connector itself, as a sync would write them, so an analyst
starting a local Tryton sees records to map and read back.
"""

from __future__ import annotations

from connectors.tryton.connector import TrytonConnector
from officebridge.connections import parse_connection
from officebridge.connector import OpKind, WriteOp

DEMO_PARTIES = (
    "Northwind Traders",
    "Contoso Pharmaceuticals",
    "Fabrikam Inc",
    "Tailspin Toys",
    "Litware Ltd",
)


def add_demo_data(connection_value: str) -> None:
    connector = TrytonConnector(parse_connection("tryton_default", connection_value))
    try:
        if connector.lookup("party.party", "name", list(DEMO_PARTIES)):
            return  # already there (a restarted server keeps its database)
        ops = []
        for i, name in enumerate(DEMO_PARTIES):
            contacts = [["create", [{"type": "other", "value": f"demo contact {i}"}]]]
            ops.append(WriteOp(OpKind.CREATE, name, {"name": name, "contact_mechanisms": contacts}))
        connector.write("party.party", ops)
    finally:
        connector.close()
