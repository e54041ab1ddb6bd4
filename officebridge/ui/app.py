"""Build the Syncs application: configuration, the shared services, error handling.

The plugin in plugins/ calls `create_app()` and hands the result to Airflow,
which mounts it under `UIConfig.mount_path`. The state store is opened on the
first request, not at import: Airflow imports plugins while it starts, and a
state database that is briefly unreachable must not stop Airflow's API server
from coming up (the page then says what is wrong instead).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from officebridge.errors import StateError
from officebridge.secrets import redact
from officebridge.state import StateStore
from officebridge.ui import auth
from officebridge.ui.actions import ActionError
from officebridge.ui.overview import MappingCatalogue

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class UIConfig:
    """Where the view reads from and where Airflow mounts it."""

    mappings_dir: Path
    state_url: str | None = None  # None: OFFICEBRIDGE_STATE_URL, else $OFFICEBRIDGE_HOME/state.db
    mount_path: str = "/officebridge"

    @classmethod
    def from_env(cls, default_mappings: Path) -> UIConfig:
        """$OFFICEBRIDGE_MAPPINGS or `default_mappings`; the store as the CLI finds it."""
        folder = os.environ.get("OFFICEBRIDGE_MAPPINGS")
        return cls(mappings_dir=Path(folder).resolve() if folder else default_mappings)


class Services:
    """What every route needs: the config, the mapping catalogue and one shared store."""

    def __init__(self, config: UIConfig) -> None:
        self.config = config
        self.catalogue = MappingCatalogue(config.mappings_dir)
        self._store: StateStore | None = None
        self._lock = threading.Lock()

    @property
    def store(self) -> StateStore:
        """The state store, opened (and migrated) once, on first use; StateError if it cannot be."""
        with self._lock:
            if self._store is None:
                self._store = StateStore.open(self.config.state_url)
            return self._store

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


def services(request: Request) -> Services:
    """FastAPI dependency: the app's shared services."""
    found: Services = request.app.state.services
    return found


def _is_api(request: Request) -> bool:
    return request.url.path.removeprefix(request.scope.get("root_path", "")).startswith("/api/")


def create_app(config: UIConfig | None = None) -> FastAPI:
    """The Syncs application: HTML pages under /syncs, JSON under /api, assets under /static."""
    from officebridge.ui import api, views  # noqa: PLC0415 - routers import this module's helpers

    config = config or UIConfig.from_env(Path.cwd() / "mappings")
    app = FastAPI(
        title="officebridge syncs",
        description="Runs, watermarks and dead letters of every officebridge sync; replay or ignore them.",
        version="1",
    )
    app.state.services = Services(config)
    app.include_router(api.router)
    app.include_router(views.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(auth.NotAuthenticatedError)
    async def not_authenticated(request: Request, exc: auth.NotAuthenticatedError) -> Response:
        if _is_api(request) or request.method != "GET":
            return JSONResponse({"detail": str(exc) or "Not authenticated"}, status_code=401)
        return RedirectResponse(auth.login_url(next_url=str(request.url)), status_code=303)

    @app.exception_handler(auth.ForbiddenError)
    async def forbidden(request: Request, exc: auth.ForbiddenError) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": str(exc)}, status_code=403)
        return views.message_page(request, "Not allowed", str(exc), status_code=403)

    @app.exception_handler(StateError)
    async def store_unavailable(request: Request, exc: StateError) -> Response:
        return JSONResponse({"detail": redact(str(exc))}, status_code=503)

    @app.exception_handler(ActionError)
    async def action_failed(request: Request, exc: ActionError) -> Response:
        return JSONResponse({"detail": str(exc)}, status_code=exc.status)

    return app
