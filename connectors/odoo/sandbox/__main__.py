"""Command line: `python -m connectors.odoo.sandbox serve --home DIR [--host H] [--port P] [--seed N]`."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from connectors.odoo.sandbox import OdooSandbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connectors.odoo.sandbox")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the emulated Odoo server in the foreground")
    serve.add_argument("--home", required=True, type=Path, help="directory holding odoo.sqlite")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8069)
    serve.add_argument("--seed", type=int, default=None, metavar="N", help="seed N demo companies first")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    sandbox = OdooSandbox(args.home, host=args.host, port=args.port)
    if args.seed is not None:
        counts = sandbox.seed(accounts=args.seed)
        print(f"seeded: {counts}", flush=True)
    print(
        f"Odoo sandbox listening on http://{args.host}:{args.port} (database {sandbox.credentials.database}, "
        f"login {sandbox.credentials.login})",
        flush=True,
    )
    try:
        sandbox.serve_forever()
    except KeyboardInterrupt:
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
