"""Start, stop and seed the connectors' sandboxes as background processes.

Sandboxes are found like connectors, through an entry-point group
(`officebridge.sandboxes`), so the engine never names a system. Each runs as
`python -m <its module> serve`, with its data under
`$OFFICEBRIDGE_HOME/sandbox/<system>/`; `up` writes the Airflow connection
variables that point at them to `$OFFICEBRIDGE_HOME/sandbox.env`.
"""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import cast

from officebridge.errors import ConfigError, UnreachableError
from officebridge.sandboxkit import Sandbox

GROUP = "officebridge.sandboxes"


def registered() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def load(ep: EntryPoint) -> type[Sandbox]:
    """The sandbox class an entry point names; anything else is a packaging error, said plainly."""
    cls = ep.load()
    if not isinstance(cls, type) or not hasattr(cls, "default_port") or not hasattr(cls, "connection_value"):
        raise ConfigError(f"entry point {ep.name!r} of {GROUP} ({ep.value}) is not a sandbox class")
    return cast("type[Sandbox]", cls)


def parse_ports(specs: tuple[str, ...]) -> dict[str, int]:
    ports: dict[str, int] = {}
    known = registered()
    for spec in specs:
        name, _, value = spec.partition("=")
        if name not in known or not value.isdigit():
            raise ConfigError(f"--port {spec!r}: expected SYSTEM=PORT with SYSTEM one of {', '.join(known)}")
        ports[name] = int(value)
    return ports


def _dirs(home: Path, name: str) -> tuple[Path, Path]:
    data = home / "sandbox" / name
    data.mkdir(parents=True, exist_ok=True)
    return data, home / "sandbox" / f"{name}.pid"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


START_TIMEOUT = 90.0  # seconds for a sandbox to listen; a first start seeds data, and machines are busy


def _wait_listening(host: str, port: int, proc: subprocess.Popen[bytes], log: Path, deadline: float) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise UnreachableError(f"sandbox exited with status {proc.returncode}; see {log}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise UnreachableError(f"sandbox did not listen on {host}:{port} within {START_TIMEOUT:.0f}s; see {log}")


def env_var(name: str) -> str:
    return f"AIRFLOW_CONN_{name.upper()}_DEFAULT"


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Stop a sandbox started in its own session: SIGTERM to its group, SIGKILL if it lingers."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _stop(proc: subprocess.Popen[bytes], pid_file: Path) -> None:
    stop_process(proc)
    pid_file.unlink(missing_ok=True)


def up(
    home: Path, ports: dict[str, int], *, seed: bool = True, host: str = "127.0.0.1"
) -> tuple[Path, dict[str, str]]:
    """Start every registered sandbox that is not running (all at once), then wait for each.

    A sandbox that does not come up is stopped again, so nothing is left running
    that `down` could not find.
    """
    started: list[tuple[str, int, subprocess.Popen[bytes], Path, Path]] = []
    ports_used: dict[str, int] = {}
    for name, ep in registered().items():
        cls = load(ep)
        port = ports.get(name, cls.default_port)
        data, pid_file = _dirs(home, name)
        if pid_file.exists() and _alive(int(pid_file.read_text().split()[0])):
            ports_used[name] = int(pid_file.read_text().split()[1])
            continue
        fresh = not any(data.glob("*.sqlite"))
        log = data / "server.log"
        cmd = [sys.executable, "-m", ep.module.rsplit(":", 1)[0], "serve",
               "--home", str(data), "--host", host, "--port", str(port)]  # fmt: skip
        if seed and fresh:
            cmd += ["--seed", "300"]
        with log.open("ab") as sink:
            proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
        pid_file.write_text(f"{proc.pid} {port}\n")
        started.append((name, port, proc, log, pid_file))
        ports_used[name] = port
    deadline = time.monotonic() + START_TIMEOUT
    try:
        for _name, port, proc, log, _pid_file in started:
            _wait_listening(host, port, proc, log, deadline)
    except BaseException:
        for _name, _port, proc, _log, pid_file in started:
            _stop(proc, pid_file)
        raise
    values: dict[str, str] = {}
    for name, ep in registered().items():
        data, _ = _dirs(home, name)
        values[env_var(name)] = load(ep)(data, host=host, port=ports_used[name]).connection_value()
    env_file = home / "sandbox.env"
    env_file.touch(mode=0o600)
    env_file.chmod(0o600)  # it holds the sandboxes' credentials
    env_file.write_text("".join(f"export {k}={shlex.quote(v)}\n" for k, v in values.items()))
    return env_file, values


def down(home: Path) -> list[str]:
    stopped = []
    for name in registered():
        pid_file = home / "sandbox" / f"{name}.pid"
        if not pid_file.exists():
            continue
        pid = int(pid_file.read_text().split()[0])
        if _alive(pid):
            os.kill(pid, signal.SIGTERM)
            for _ in range(50):
                if not _alive(pid):
                    break
                time.sleep(0.1)
            stopped.append(name)
        pid_file.unlink()
    return stopped


def seed(home: Path, *, accounts: int, seed: int) -> dict[str, dict[str, int]]:
    """Reseed each sandbox's data in place (running or not; the data is a SQLite file)."""
    results = {}
    for name, ep in registered().items():
        cls = load(ep)
        data, pid_file = _dirs(home, name)
        port = int(pid_file.read_text().split()[1]) if pid_file.exists() else cls.default_port
        box = cls(data, port=port)
        box.reset()
        results[name] = box.seed(accounts=accounts, seed=seed)
    return results


def load_env(home: Path) -> dict[str, str]:
    """The connection variables `up` wrote, for tools that do not `source` the file."""
    env_file = home / "sandbox.env"
    if not env_file.exists():
        return {}
    values = {}
    for line in env_file.read_text().splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        values[key] = shlex.split(value)[0] if value else ""
    return values


__all__ = ["down", "env_var", "load_env", "parse_ports", "seed", "stop_process", "up"]
