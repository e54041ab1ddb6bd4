"""Command line: `python -m connectors.salesforce.sandbox serve --home DIR [--port P] [--seed N]`.

The CLI `officebridge sandbox up` spawns this; it runs the server in the
foreground and prints the connection value an analyst puts in
AIRFLOW_CONN_SALESFORCE_DEFAULT.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from connectors.salesforce.sandbox.sandbox import SalesforceSandbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connectors.salesforce.sandbox")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the sandbox in the foreground")
    serve.add_argument("--home", required=True, type=Path)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8443)
    serve.add_argument("--seed", type=int, default=None, help="reset and seed N accounts before serving")
    args = parser.parse_args(argv)
    sb = SalesforceSandbox(args.home, host=args.host, port=args.port)
    if args.seed is not None:
        sb.reset()
        counts = sb.seed(accounts=args.seed)
        print(f"seeded {counts}", file=sys.stderr, flush=True)
    sb.start()
    print(f"Salesforce sandbox listening on {sb.url}", file=sys.stderr, flush=True)
    print(sb.connection_value(), flush=True)
    try:
        assert sb._thread is not None
        sb._thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        sb.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
