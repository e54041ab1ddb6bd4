"""Who is asking, and may they: the Syncs view's bridge to Airflow's auth manager.

The view is mounted inside Airflow's API server, so it authenticates exactly as
Airflow's own API does: a bearer token in the Authorization header, else the
JWT cookie the login page set (`_token`), both checked by Airflow's `get_user`.
Permissions are asked of whatever auth manager is configured (Simple, FAB,
Keycloak, ...) in DAG terms, because a sync *is* a DAG (`sync__<name>`):
reading runs and dead letters needs GET on that DAG's runs, replaying or
ignoring needs PUT. A viewer can look but not touch.

Airflow is imported inside the functions: this module is only ever called
from within a running API server, and keeping the imports there lets the rest
of `officebridge.ui` load (and its pure parts be tested) without Airflow.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import HTTPException, Request

from officebridge.ui.overview import dag_id_of

Method = Literal["GET", "PUT"]


class NotAuthenticatedError(Exception):
    """No valid credential on the request: pages redirect to login, the API answers 401."""


class ForbiddenError(Exception):
    """Authenticated, but the auth manager refuses this action on this sync (403)."""


async def current_user(request: Request) -> Any:
    """FastAPI dependency: the Airflow user behind the request, or NotAuthenticatedError."""
    from airflow.api_fastapi.core_api.security import bearer_scheme, get_user  # noqa: PLC0415

    credentials = await bearer_scheme(request)
    try:
        return await get_user(request, None, credentials)
    except HTTPException as exc:
        raise NotAuthenticatedError(str(exc.detail)) from None


def can(user: Any, method: Method, sync: str | None = None) -> bool:
    """May `user` read (GET) or act on (PUT) the runs of this sync's DAG (any sync when None)?

    Teams (Airflow's multi-team mode) are not looked up: the DAG may not be
    parsed yet when its sync already has state, and a sync's team is not known
    to the state store.
    """
    from airflow.api_fastapi.app import get_auth_manager  # noqa: PLC0415
    from airflow.api_fastapi.auth.managers.models.resource_details import (  # noqa: PLC0415
        DagAccessEntity,
        DagDetails,
    )

    details = DagDetails(id=dag_id_of(sync) if sync else None)
    allowed: bool = get_auth_manager().is_authorized_dag(
        method=method, access_entity=DagAccessEntity.RUN, details=details, user=user
    )
    return allowed


def require(user: Any, method: Method, sync: str | None = None) -> None:
    if not can(user, method, sync):
        action = "read" if method == "GET" else "replay, ignore or resolve dead letters of"
        what = f"sync {sync!r}" if sync else "syncs"
        raise ForbiddenError(f"you may not {action} {what}")


def login_url(next_url: str) -> str:
    """Where the configured auth manager logs people in, coming back to `next_url`."""
    from airflow.api_fastapi.app import get_auth_manager  # noqa: PLC0415

    url: str = get_auth_manager().get_url_login(next_url=next_url)
    return url


def username(user: Any) -> str:
    name = getattr(user, "get_name", None)
    return str(name()) if callable(name) else str(getattr(user, "username", "?"))
