"""Command line: `python -m connectors.zendesk.sandbox serve --home DIR [--port 8444] [--seed N]`."""

from __future__ import annotations

from connectors.zendesk.sandbox.sandbox import ZendeskSandbox
from officebridge.sandboxkit.cli import main

if __name__ == "__main__":
    raise SystemExit(main(ZendeskSandbox))
