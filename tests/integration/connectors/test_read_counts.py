"""count(request): what read(request) yields, told in one call (SOQL COUNT(), Odoo search_count), for the
CLI's progress bar. Through the real clients against the sandboxes; the counts are compared with a read."""

from __future__ import annotations

from datetime import datetime

import pytest

from connectors.odoo.connector import OdooConnector
from connectors.odoo.sandbox import OdooSandbox
from connectors.salesforce.connector import SalesforceConnector
from connectors.salesforce.sandbox import SalesforceSandbox
from officebridge.connections import parse_connection
from officebridge.connector import Connector, ReadRequest


def read_total(connector: Connector, request: ReadRequest) -> int:
    return sum(len(page.records) for page in connector.read(request))


def middle_stamp(connector: Connector, request: ReadRequest) -> datetime:
    stamps = sorted(r.cursor for page in connector.read(request) for r in page.records if r.cursor)
    return stamps[len(stamps) // 2]


@pytest.mark.parametrize("where", [None, "BillingCountry = 'Germany'"])
def test_salesforce_count_matches_what_read_yields(
    sf_sandbox_fresh: SalesforceSandbox, where: str | None
) -> None:
    sf = SalesforceConnector(parse_connection("sf_test", sf_sandbox_fresh.connection_value()))
    everything = ReadRequest("Account", ("Name",), filter=where, include_deleted=True)
    since = ReadRequest("Account", ("Name",), filter=where, since=middle_stamp(sf, everything))
    for request in (everything, since):
        assert sf.count(request) == read_total(sf, request) > 0
    assert sf.count(since) < sf.count(everything)  # type: ignore[operator]
    sf.close()


@pytest.mark.parametrize("domain", [None, [["is_company", "=", True]]])
def test_odoo_count_matches_what_read_yields(
    odoo_fresh: OdooSandbox, domain: list[list[object]] | None
) -> None:
    odoo = OdooConnector(parse_connection("odoo_test", odoo_fresh.connection_value()))
    everything = ReadRequest("res.partner", ("name",), filter=domain, include_deleted=True)
    since = ReadRequest("res.partner", ("name",), filter=domain, since=middle_stamp(odoo, everything))
    for request in (everything, since):
        assert odoo.count(request) == read_total(odoo, request) > 0
    assert odoo.count(since) <= odoo.count(everything)  # type: ignore[operator]
    odoo.close()
