"""OFFICEBRIDGE_PORTS, the one documented way to move every port a user sees.

`OFFICEBRIDGE_PORTS="airflow=9080 salesforce=9443 odoo=9069"` (any subset,
separated by spaces or commas). Names are the sandboxes' systems plus Airflow's
three listeners: `airflow` (API server and UI), `airflow-logs` (the worker log
server) and `airflow-trigger-logs` (the triggerer's). This module is the only
parser: `officebridge sandbox up` takes its `--port` defaults from it, and
`scripts/airflow-standalone.sh` asks it for the shell exports (`python -m
officebridge.cli.ports airflow`), so the two never read the variable apart.

A port that is taken is refused before anything starts, naming the port, what
wanted it and the line that moves it.
"""

from __future__ import annotations

import errno
import os
import shlex
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from officebridge.connector import known_systems
from officebridge.errors import ConfigError

VARIABLE = "OFFICEBRIDGE_PORTS"
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class AirflowPort:
    """One of Airflow's listeners: its default, the setting that moves it, the interface it binds."""

    default: int
    setting: str
    host: str  # "" = every interface (Airflow's log servers: no setting binds them to one)


AIRFLOW = {
    "airflow": AirflowPort(8080, "AIRFLOW__API__PORT", LOOPBACK),
    "airflow-logs": AirflowPort(8793, "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT", ""),
    "airflow-trigger-logs": AirflowPort(8794, "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT", ""),
}


def sandbox_names() -> list[str]:
    from officebridge.sandboxes import registered  # noqa: PLC0415 - entry points only when asked

    return sorted(registered())


def parse(text: str | None = None) -> dict[str, int]:
    """NAME=PORT pairs of the variable (or `text`); every problem in one message."""
    text = os.environ.get(VARIABLE, "") if text is None else text
    # Airflow's, the sandboxes', and any installed system's (a local real server, e.g. a trytond)
    known = list(dict.fromkeys([*AIRFLOW, *sandbox_names(), *known_systems()]))
    ports: dict[str, int] = {}
    problems = []
    for spec in text.replace(",", " ").split():
        name, sep, value = spec.partition("=")
        if not sep or name not in known:
            problems.append(f"{spec!r} (expected NAME=PORT, NAME one of {', '.join(known)})")
        elif not value.isdigit() or not 0 < int(value) < 65536:
            problems.append(f"{spec!r} ({value!r} is not a port number 1-65535)")
        else:
            ports[name] = int(value)
    if problems:
        raise ConfigError(f"{VARIABLE}: " + "; ".join(problems))
    return ports


def sandbox_specs(text: str | None = None) -> tuple[str, ...]:
    """The variable's sandbox ports as `--port` values (what `sandbox up` takes by default)."""
    boxes = set(sandbox_names())
    return tuple(f"{name}={port}" for name, port in parse(text).items() if name in boxes)


def is_taken(port: int, host: str = LOOPBACK) -> bool:
    """True when a listener already holds `port` (tried the way a server binds it)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do: TIME_WAIT is not taken
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc.errno in (errno.EADDRINUSE, errno.EACCES)
    return False


def refuse_taken(name: str, port: int, host: str = LOOPBACK) -> None:
    if is_taken(port, host):
        where = f"{host}:{port}" if host else f"port {port} (every interface)"
        raise ConfigError(
            f"{where}, wanted by {name}, is taken by another program; choose another port with "
            f'{VARIABLE}="{name}=PORT" (e.g. {VARIABLE}="{name}={free_hint(port)}")'
        )


def free_hint(port: int) -> int:
    """A nearby port that is free now, for the example in the message."""
    for candidate in range(port + 1000, port + 1100):
        if candidate < 65536 and not is_taken(candidate):
            return candidate
    return port + 1


def refuse_taken_sandbox_ports(home: Path, overrides: dict[str, int]) -> None:
    """Before `sandbox up`: each sandbox that is not already running must find its port free."""
    from officebridge import sandboxes  # noqa: PLC0415

    for name, ep in sandboxes.registered().items():
        if not _running(home / "sandbox" / f"{name}.pid"):
            refuse_taken(name, overrides.get(name, sandboxes.load(ep).default_port))


def _running(pid_file: Path) -> bool:
    """The pid file `sandboxes.up` writes ("PID PORT") names a live process: `up` reuses it."""
    try:
        os.kill(int(pid_file.read_text().split()[0]), 0)
    except (OSError, ValueError, IndexError):
        return False
    return True


def airflow_exports(text: str | None = None) -> list[str]:
    """Shell lines for `make airflow`: Airflow's ports from the variable, each checked free first.

    A port given in the variable wins; else a setting already in the environment
    (an `AIRFLOW__...` the user exported) is kept; else Airflow's default.
    """
    ports = parse(text)
    lines = []
    for name, spec in AIRFLOW.items():
        port = ports.get(name) or int(os.environ.get(spec.setting) or spec.default)
        refuse_taken(name, port, spec.host)
        lines.append(f"export {spec.setting}={port}")
        if name == "airflow":
            base = f"http://{LOOPBACK}:{port}"
            lines += [
                f"export AIRFLOW__API__HOST={LOOPBACK}",
                f"export AIRFLOW__API__BASE_URL={shlex.quote(base)}",
                f"export AIRFLOW__CORE__EXECUTION_API_SERVER_URL={shlex.quote(base + '/execution/')}",
                f"OFFICEBRIDGE_AIRFLOW_URL={shlex.quote(base)}",
            ]
    sandbox_specs(text)  # the sandboxes' ports are `sandbox up`'s to read; refuse a bad variable here too
    return lines


def main(argv: list[str]) -> int:
    """`python -m officebridge.cli.ports airflow`: the exports above, or the reason on stderr and exit 1."""
    if argv != ["airflow"]:
        print("usage: python -m officebridge.cli.ports airflow", file=sys.stderr)
        return 2
    try:
        print("\n".join(airflow_exports()))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
