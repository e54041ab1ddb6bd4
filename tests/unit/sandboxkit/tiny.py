"""A tiny sandbox built on the kit, for the kit's own tests: notes behind a login, over plain HTTP.

`POST /login` hands out a session token; `GET /notes` and `POST /notes` (a
JSON list of notes, each written or refused on its own) need it. Operations are
`auth.login`, `note.list` and `note.create`; extra kind `quota` answers 402.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from officebridge.sandboxkit import Answer, Call, Fault, Kind, Request, SandboxBase
from officebridge.sandboxkit.cli import main

OPERATIONS = {
    ("POST", "/login"): "auth.login",
    ("GET", "/notes"): "note.list",
    ("POST", "/notes"): "note.create",
}


def _json(status: int, data: Any) -> Answer:
    return Answer(status, json.dumps(data).encode())


class NotesSandbox(SandboxBase):
    system: ClassVar[str] = "notes"
    default_port: ClassVar[int] = 0
    extra_kinds: ClassVar[Mapping[str, Kind]] = {"quota": Kind("quota", {"plan": "free"})}

    def __init__(self, home: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(home, host, port)
        self.notes: list[dict[str, Any]] = []
        self._notes_lock = threading.Lock()

    def reset(self) -> None:
        with self._notes_lock:
            self.notes.clear()

    def seed(self, accounts: int = 300, seed: int = 7) -> dict[str, int]:
        with self._notes_lock:
            self.notes[:] = [{"title": f"note {seed}-{i}"} for i in range(accounts)]
        return {"note": accounts}

    def connection_value(self) -> str:
        return json.dumps({"conn_type": "notes", "host": self.host, "port": self.port})

    def admit(self, request: Request) -> Call:
        operation = OPERATIONS.get((request.method, request.path))
        return Call(request.path, f"{request.method} {request.path}", operation, request.path == "/notes")

    def rate_limited(self, retry_after: float, call: Call) -> Answer:
        return _json(429, {"error": "slow down"})

    def extra_fault(self, fault: Fault, call: Call) -> Answer:
        return _json(402, {"error": "quota", "plan": fault.params["plan"]})

    def answer(self, request: Request, call: Call) -> Answer:
        if call.operation == "auth.login":
            return _json(200, {"token": self.sessions.issue()})
        if call.operation is None:
            return _json(404, {"error": "no such route"})
        if not self.sessions.live(request.headers.get("authorization")):
            return _json(401, {"error": "session expired"})
        if call.operation == "note.list":
            with self._notes_lock:
                return _json(200, list(self.notes))
        results = []
        for note in json.loads(request.body):
            refusal = self.faults.refusal("note", note)
            if refusal is not None:
                results.append({"ok": False, "code": refusal.code or "REFUSED", "field": refusal.field})
                continue
            with self._notes_lock:
                self.notes.append(note)
            results.append({"ok": True})
        return _json(200, results)


if __name__ == "__main__":
    sys.exit(main(NotesSandbox))
