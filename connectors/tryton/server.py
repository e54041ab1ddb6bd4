"""Start a real, local Tryton server (trytond on SQLite) for tests, demos and analysts.

Building a database means activating ~17 modules and seeding a company and a
chart of accounts: 20-60 s on a small machine. That is done once and cached as
a template `.sqlite` file keyed by the installed module versions (and this
launcher's seed version), under `$OFFICEBRIDGE_HOME/cache/tryton-template/`;
every later start copies the file (milliseconds) and starts trytond with `-d`
(Tryton only initialises the pools of databases named on its command line).
The server binds to 127.0.0.1 on a free port. When it does not come up, the
error carries the server's own log, so a test fails with the reason.

`python -m connectors.tryton.server [--port N] [--demo]` starts one in the
foreground and prints its AIRFLOW_CONN_TRYTON_DEFAULT value.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from importlib.metadata import distributions
from pathlib import Path
from urllib.parse import quote

from officebridge.errors import FatalError
from officebridge.settings import home

MODULES = ("party", "company", "account", "account_invoice", "sale", "sale_opportunity", "timesheet")
DATABASE = "officebridge"
ADMIN_PASSWORD = "Tryton-Admin-Local-1"  # a local throwaway server; tests pass their own
SEED_VERSION = "1"  # bump when seed.py changes what a template holds
BIN = Path(sys.executable).parent


class TrytonStartError(FatalError):
    """trytond could not be set up or did not answer; the message carries its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def versions_key() -> str:
    """A short hash of the installed trytond/proteus distributions and the seed version."""
    found = sorted(
        f"{d.metadata['Name'].lower()}=={d.version}"
        for d in distributions()
        if d.metadata["Name"]
        and d.metadata["Name"].lower().replace("_", "-").startswith(("trytond", "proteus"))
    )
    return hashlib.sha256("\n".join([*found, SEED_VERSION, *MODULES]).encode()).hexdigest()[:16]


def cache_dir() -> Path:
    return Path(os.environ.get("OFFICEBRIDGE_TRYTON_CACHE") or home() / "cache" / "tryton-template")


def _config(workdir: Path, port: int) -> Path:
    path = workdir / "trytond.conf"
    path.write_text(
        "[database]\nuri = sqlite://\npath = {db}\n[web]\nlisten = 127.0.0.1:{port}\n"
        "[session]\nmax_attempt = 50\n".format(db=workdir / "db", port=port)
    )
    return path


def _env(passfile: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRYTOND_")}
    env["TRYTONPASSFILE"] = str(passfile)
    return env


def _run(cmd: list[str], env: dict[str, str], log: Path, what: str, answer: bytes = b"") -> None:
    with log.open("ab") as out:
        done = subprocess.run(cmd, env=env, input=answer, stdout=out, stderr=out, check=False)
    if done.returncode != 0:
        raise TrytonStartError(f"{what} failed (exit {done.returncode}); log {log}:\n{_tail(log)}")


def _tail(log: Path, lines: int = 60) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def build_template(target: Path) -> Path:
    """Create, activate and seed a database; store it as `target` (atomically)."""
    work = target.parent / f"build-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    (work / "db").mkdir(parents=True)
    passfile = work / "admin.pass"
    passfile.write_text(ADMIN_PASSWORD + "\n")
    config = _config(work, free_port())
    env = _env(passfile)
    log = work / "build.log"
    (work / "db" / f"{DATABASE}.sqlite").touch()  # trytond-admin refuses a file that does not exist
    # No --email: with email-validator installed (Airflow brings it) trytond checks the address's
    # DNS deliverability, which fails offline; an empty answer to its prompt means "no email".
    _run(
        [str(BIN / "trytond-admin"), "-c", str(config), "-d", DATABASE, "-u", *MODULES,
         "--activate-dependencies"],
        env, log, "trytond-admin", b"\n",
    )  # fmt: skip
    _run([sys.executable, "-m", "connectors.tryton.seed", str(config), DATABASE], env, log, "seeding")
    partial = target.with_suffix(".partial")
    shutil.copyfile(work / "db" / f"{DATABASE}.sqlite", partial)
    partial.replace(target)
    shutil.rmtree(work, ignore_errors=True)
    return target


def template() -> Path:
    """The cached template for the installed versions, built when missing."""
    target = cache_dir() / versions_key() / f"{DATABASE}.sqlite"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        build_template(target)
    return target


@dataclass
class TrytonServer:
    """One trytond process on a copy of the template, in `workdir`."""

    workdir: Path
    password: str = ADMIN_PASSWORD
    port: int = 0
    host: str = "127.0.0.1"
    database: str = DATABASE
    login: str = "admin"
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    started_in: float = 0.0

    @property
    def log(self) -> Path:
        return self.workdir / "trytond.log"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/{self.database}/rpc/"

    def connection_value(self, password: str | None = None) -> str:
        """An AIRFLOW_CONN_* URI for this server."""
        secret = quote(self.password if password is None else password, safe="")
        return (
            f"tryton://{self.login}:{secret}@{self.host}:{self.port}/{self.database}?protocol=http&timeout=30"
        )

    def start(self, timeout: float = 60.0) -> TrytonServer:
        began = time.monotonic()
        source = template()
        (self.workdir / "db").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, self.workdir / "db" / f"{self.database}.sqlite")
        self._launch(timeout)
        self.started_in = time.monotonic() - began
        return self

    def _launch(self, timeout: float) -> None:
        self.port = self.port or free_port()
        passfile = self.workdir / "admin.pass"
        passfile.write_text(self.password + "\n")
        config = _config(self.workdir, self.port)
        if self.password != ADMIN_PASSWORD:
            self._set_password(config, passfile)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [str(BIN / "trytond"), "-c", str(config), "-d", self.database],
                env=_env(passfile), stdin=subprocess.DEVNULL, stdout=out, stderr=out,
            )  # fmt: skip
        self._wait(timeout)

    def _set_password(self, config: Path, passfile: Path) -> None:
        _run(
            [str(BIN / "trytond-admin"), "-c", str(config), "-d", self.database, "-p"],
            _env(passfile), self.log, "setting the admin password",
        )  # fmt: skip

    def _wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        body = json.dumps({"id": 0, "method": "common.server.version", "params": []}).encode()
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise TrytonStartError(f"trytond exited with {self.process.returncode}:\n{_tail(self.log)}")
            request = urllib.request.Request(
                f"http://{self.host}:{self.port}/rpc/", body, {"Content-Type": "application/json"}
            )
            try:
                with urllib.request.urlopen(request, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise TrytonStartError(f"trytond did not answer within {timeout:.0f}s:\n{_tail(self.log)}")

    def restart(self, timeout: float = 60.0) -> None:
        self.stop()
        self._launch(timeout)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Start a local Tryton server (SQLite) with officebridge's seed."
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument(
        "--dir", type=Path, default=None, help="working folder (default: under OFFICEBRIDGE_HOME)"
    )
    parser.add_argument("--demo", action="store_true", help="add demo parties, opportunities and invoices")
    args = parser.parse_args(argv)
    workdir = args.dir or home() / "tryton"
    workdir.mkdir(parents=True, exist_ok=True)
    server = TrytonServer(workdir, port=args.port).start()
    if args.demo:
        from connectors.tryton.demo import add_demo_data  # noqa: PLC0415 - only with --demo

        add_demo_data(server.connection_value())
    print(f"Tryton ready in {server.started_in:.1f}s at {server.url} (log {server.log})")
    print(f"AIRFLOW_CONN_TRYTON_DEFAULT='{server.connection_value()}'")
    with contextlib.suppress(KeyboardInterrupt):
        assert server.process is not None
        server.process.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
