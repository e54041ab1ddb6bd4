"""Command line: `python -m connectors.hubspot.sandbox serve --home DIR [--port P] [--seed N]` (the kit's)."""

from __future__ import annotations

import sys

from connectors.hubspot.sandbox.sandbox import HubSpotSandbox
from officebridge.sandboxkit.cli import main

if __name__ == "__main__":
    sys.exit(main(HubSpotSandbox))
