"""Fetch every page of the Syncs view and its API, as Airflow's API server would serve them.

Run as `python -m tests.integration.secrets.syncs_view STATE_URL MAPPINGS OUT` in a
process whose environment configures Airflow's SimpleAuthManager (all admins): the
app is the real one (`create_app`), authenticated by a real Airflow JWT, driven
in-process over ASGI (Airflow's metadata database holds only the revoked-token
table a token check reads). Every answer's body is appended to OUT; a status other
than 200 ends the script with an error.
"""

from __future__ import annotations

import sys
from pathlib import Path

from airflow import settings
from airflow.api_fastapi.app import init_auth_manager
from airflow.api_fastapi.auth.managers.simple.services.login import SimpleAuthManagerLogin
from airflow.models.revoked_token import RevokedToken
from fastapi.testclient import TestClient

from officebridge.ui.app import UIConfig, create_app


def main(state_url: str, mappings: str, out: str) -> None:
    # the one table of Airflow's metadata database a token check reads (a full `db migrate` is slow)
    RevokedToken.__table__.create(settings.engine, checkfirst=True)
    init_auth_manager()
    token = SimpleAuthManagerLogin.create_token_all_admins()
    app = create_app(UIConfig(mappings_dir=Path(mappings), state_url=state_url))
    client = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    bodies: list[str] = []

    def get(path: str) -> str:
        answer = client.get(path)
        if answer.status_code != 200:
            raise SystemExit(f"GET {path}: HTTP {answer.status_code}: {answer.text[:500]}")
        text: str = answer.text
        bodies.append(f"--- GET {path}\n{text}")
        return text

    get("/syncs")
    syncs = client.get("/api/syncs").json()
    get("/api/syncs")
    for sync in syncs:
        name = sync["name"] if isinstance(sync, dict) else str(sync)
        get(f"/syncs/{name}")
        get(f"/api/syncs/{name}")
        get(f"/api/syncs/{name}/runs?limit=500")
    letters = client.get("/api/dead-letters?status=all&limit=1000").json()
    get("/api/dead-letters?status=all&limit=1000")
    for letter in letters:
        get(f"/api/dead-letters/{letter['id']}")
    Path(out).write_text("\n".join(bodies))
    print(f"{len(bodies)} answers, {len(letters)} dead letters")


if __name__ == "__main__":
    main(*sys.argv[1:4])
