"""Command line: `python -m connectors.odoo.sandbox serve --home DIR [--host H] [--port P] [--seed N]`."""

from __future__ import annotations

import sys

from connectors.odoo.sandbox import OdooSandbox
from officebridge.sandboxkit.cli import main

if __name__ == "__main__":
    sys.exit(main(OdooSandbox))
