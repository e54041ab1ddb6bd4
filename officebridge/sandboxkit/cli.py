"""The `serve` command line every sandbox's `__main__` runs.

`officebridge sandbox up` spawns `python -m connectors.<system>.sandbox serve
--home D --host H --port P [--seed N]` and waits for the port to listen; the
connection value goes to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from officebridge.sandboxkit.base import SandboxBase


def main(cls: type[SandboxBase], argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"python -m {cls.__module__.rsplit('.', 1)[0]}")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help=f"run the {cls.system} sandbox in the foreground")
    serve.add_argument("--home", required=True, type=Path, help="directory holding its data")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=cls.default_port, help="0: any free port")
    serve.add_argument("--seed", type=int, default=None, metavar="N", help="reset and seed N accounts first")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    box = cls(args.home, host=args.host, port=args.port)
    if args.seed is not None:
        box.reset()
        print(f"seeded {box.seed(accounts=args.seed)}", file=sys.stderr, flush=True)
    box.listen()
    print(f"{cls.system} sandbox listening on {box.url}", file=sys.stderr, flush=True)
    print(box.connection_value(), flush=True)
    try:
        box.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        box.stop()
    return 0
