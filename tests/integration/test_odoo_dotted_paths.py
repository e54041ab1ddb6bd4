"""OdooConnector reads dotted paths (`industry_id.name`) in one batched call per relation."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.odoo.connector import OdooConnector
from connectors.odoo.sandbox import OdooSandbox
from officebridge.connections import resolve_connection
from officebridge.connector import ReadRequest
from officebridge.errors import ConfigError
from officebridge.retry import RetryPolicy

FAST = RetryPolicy(attempts=2, base=0.01, cap=0.05)
PATHS = ["name", "industry_id.name", "country_id.code", "category_id.name", "parent_id.country_id.code"]


def _tagged(client: Any) -> tuple[int, int]:
    partner = client.env["res.partner"]
    tags = client.env["res.partner.category"]
    vip, gold = tags.create({"name": "VIP"}), tags.create({"name": "Gold"})
    industry = client.env["res.partner.industry"].search([["name", "=", "Manufacturing"]])[0]
    us = client.env["res.country"].search([["code", "=", "US"]])[0]
    company = partner.create(
        {
            "name": "Dotted Co",
            "is_company": True,
            "industry_id": industry,
            "country_id": us,
            "category_id": [(6, 0, [vip, gold])],
            "ref": "DOT-1",
        }
    )
    person = partner.create({"name": "Dot Person", "parent_id": company, "ref": "DOT-2"})
    return company, person


def test_read_and_fetch_follow_paths_in_one_call_per_relation(
    odoo_conn_env: str, odoo_fresh: OdooSandbox, odoo_client: Any
) -> None:
    company, person = _tagged(odoo_client)
    conn = OdooConnector(resolve_connection(odoo_conn_env), retry_policy=FAST)
    odoo_fresh.reset_stats()
    request = ReadRequest(
        object="res.partner", fields=tuple(PATHS), filter=[["ref", "in", ["DOT-1", "DOT-2"]]], batch_size=500
    )
    records = {r.id: r.fields for page in conn.read(request) for r in page.records}
    assert records[str(company)] == {
        "name": "Dotted Co",
        "industry_id.name": "Manufacturing",
        "country_id.code": "US",
        "category_id.name": ["VIP", "Gold"],
        "parent_id.country_id.code": None,
    }
    assert records[str(person)]["parent_id.country_id.code"] == "US"
    assert records[str(person)]["industry_id.name"] == "Manufacturing"  # a commercial field, flowed down
    ops = odoo_fresh.stats()["by_operation"]
    # one read per relation and level, whatever the number of records
    assert ops.get("res.partner.industry.read") == 1 and ops.get("res.partner.category.read") == 1
    assert ops.get("res.country.read") == 2  # country_id, and parent_id -> country_id
    assert ops.get("res.partner.read") == 1  # parent_id
    [fetched] = conn.fetch("res.partner", PATHS, [str(person)])
    assert fetched.fields["parent_id.country_id.code"] == "US" and fetched.fields["category_id.name"] == []
    conn.close()


def test_a_path_through_a_plain_field_is_refused(odoo_conn_env: str) -> None:
    conn = OdooConnector(resolve_connection(odoo_conn_env), retry_policy=FAST)
    with pytest.raises(ConfigError, match="steps through 'name', which is a char"):
        next(iter(conn.read(ReadRequest(object="res.partner", fields=("name.x",)))))
    with pytest.raises(ConfigError, match="no field"):
        next(iter(conn.read(ReadRequest(object="res.partner", fields=("industry_id.nope",)))))
    conn.close()
