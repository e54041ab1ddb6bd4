"""Command line: `python -m connectors.salesforce.sandbox serve --home DIR [--host H] [--port P] [--seed N]`.

`officebridge sandbox up` spawns this; it prints the value an analyst puts in
AIRFLOW_CONN_SALESFORCE_DEFAULT.
"""

from __future__ import annotations

import sys

from connectors.salesforce.sandbox.sandbox import SalesforceSandbox
from officebridge.sandboxkit.cli import main

if __name__ == "__main__":
    sys.exit(main(SalesforceSandbox))
