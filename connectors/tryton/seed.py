"""Seed a freshly activated Tryton database with what a sync needs: company, accounts, an employee.

Run in its own process (`python -m connectors.tryton.seed CONFIG DATABASE`) by
`connectors.tryton.server` when it builds the cached template: it uses proteus
in-process (`set_trytond`, no server) and Tryton's own test tools shipped in the
module wheels, which would otherwise load trytond's global state into the caller.
Tryton preloads no currency (importing them needs the network) and a raw
JSON-RPC create runs no `on_change`, so everything an invoice or a sale needs
is created here once: EUR, the company, a fiscal year with invoice sequences,
the minimal chart, a payment term and an employee bound to the admin user.
"""

from __future__ import annotations

import sys
from typing import Any


def seed(config_file: str, database: str) -> None:
    # imported in the seeding process only; proteus and trytond ship no type information
    from proteus import Model, config  # type: ignore[import-untyped]  # noqa: PLC0415
    from trytond.modules.account.tests.tools import (  # type: ignore[import-untyped]  # noqa: PLC0415
        create_chart,
        create_fiscalyear,
    )
    from trytond.modules.account_invoice.tests.tools import (  # type: ignore[import-untyped]  # noqa: PLC0415
        create_payment_term,
        set_fiscalyear_invoice_sequences,
    )
    from trytond.modules.company.tests.tools import (  # type: ignore[import-untyped]  # noqa: PLC0415
        create_company,
        get_company,
    )

    cfg: Any = config.set_trytond(database, user="admin", config_file=config_file)
    party_model = Model.get("party.party")
    create_company(party=_saved(party_model(name="Officebridge Demo Ltd")), currency="EUR")
    company = get_company()
    fiscalyear = set_fiscalyear_invoice_sequences(create_fiscalyear(company))
    fiscalyear.click("create_period")
    create_chart(company)
    create_payment_term().save()
    employee_model = Model.get("company.employee")
    employee = employee_model(party=_saved(party_model(name="Sam Seller")), company=company)
    employee.save()
    user_model = Model.get("res.user")
    admin = user_model(cfg.user)
    admin.employees.append(employee_model(employee.id))
    admin.employee = employee_model(employee.id)
    admin.save()


def _saved(record: Any) -> Any:
    record.save()
    return record


if __name__ == "__main__":
    seed(sys.argv[1], sys.argv[2])
