"""The JSON API of the Syncs view: the same facts as the pages, for scripts and checks.

GET /api/syncs, /api/syncs/{sync}, /api/syncs/{sync}/runs, /api/dead-letters,
/api/dead-letters/{id}; POST /api/dead-letters/{id}/replay, .../ignore and, for a
two-way sync's conflict, .../resolve?take=a|b (written in the request, see actions).
Every route needs an Airflow login (bearer token or the UI's cookie) and the
matching permission on the sync's DAG; answers never contain secrets.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.encoders import jsonable_encoder
from starlette.concurrency import run_in_threadpool

from officebridge.ui import actions, auth, overview
from officebridge.ui.app import Services, services
from officebridge.ui.runs import logical_runs

router = APIRouter(prefix="/api", tags=["syncs"])

User = Annotated[Any, Depends(auth.current_user)]
Svc = Annotated[Services, Depends(services)]
StatusFilter = Literal["open", "replayed", "ignored", "all"]


def _json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    return jsonable_encoder(value)


@router.get("/syncs", summary="Every sync with its ends, last run, watermark and open dead letters")
def list_syncs(user: User, svc: Svc) -> list[dict[str, Any]]:
    auth.require(user, "GET")
    return [_json(v) for v in overview.syncs(svc.store, svc.catalogue) if auth.can(user, "GET", v.name)]


@router.get("/syncs/{sync}", summary="One sync with its recent runs")
def get_sync(sync: str, user: User, svc: Svc) -> dict[str, Any]:
    auth.require(user, "GET", sync)
    found = overview.sync_detail(svc.store, svc.catalogue, sync)
    if found is None:
        raise HTTPException(404, f"no sync named {sync!r}")
    return dict(_json(found))


@router.get("/syncs/{sync}/runs", summary="Recent runs of a sync (one per Airflow DAG run), newest first")
def list_runs(sync: str, user: User, svc: Svc, limit: Annotated[int, Query(ge=1, le=500)] = 20) -> list[Any]:
    auth.require(user, "GET", sync)
    rows = (overview.run_view(r) for r in svc.store.runs(sync, limit=overview.RUNS_READ))
    return [_json(r) for r in logical_runs(rows)[:limit]]


@router.get("/dead-letters", summary="Dead letters, newest first (open ones unless asked otherwise)")
def list_dead_letters(
    user: User,
    svc: Svc,
    sync: str | None = None,
    status: StatusFilter = "open",
    limit: Annotated[int, Query(ge=1, le=5000)] = 200,
) -> list[Any]:
    auth.require(user, "GET", sync)
    letters = overview.dead_letters(svc.store, sync, None if status == "all" else status, limit)
    return [_json(d) for d in letters if auth.can(user, "GET", d.sync)]


@router.get("/dead-letters/{letter_id}", summary="One dead letter with its payload")
def get_dead_letter(letter_id: int, user: User, svc: Svc) -> dict[str, Any]:
    letter = actions.find_letter(svc.store, letter_id)
    auth.require(user, "GET", letter.sync)
    return dict(_json(overview.letter_view(letter)))


@router.post("/dead-letters/{letter_id}/replay", summary="Start a replay__<sync> DAG run for this letter")
async def replay(letter_id: int, user: User, svc: Svc) -> dict[str, Any]:
    letter = actions.find_letter(svc.store, letter_id)
    auth.require(user, "PUT", letter.sync)
    actions.ensure_open(letter)
    actions.ensure_not_conflict(letter)
    name = auth.username(user)
    result = await run_in_threadpool(actions.replay_letter, svc.store, letter, name, from_ui=False)
    return dict(_json(result))


@router.post("/syncs/{sync}/dead-letters/replay", summary="One replay__<sync> run for every open letter")
async def replay_sync(sync: str, user: User, svc: Svc) -> dict[str, Any]:
    auth.require(user, "PUT", sync)
    name = auth.username(user)
    result = await run_in_threadpool(actions.replay_sync, svc.store, sync, name, from_ui=False)
    return dict(_json(result))


@router.post("/dead-letters/{letter_id}/resolve", summary="Keep side a's or b's version of a conflict")
async def resolve(letter_id: int, take: Literal["a", "b"], user: User, svc: Svc) -> dict[str, Any]:
    letter = actions.find_letter(svc.store, letter_id)
    auth.require(user, "PUT", letter.sync)
    mappings, name = svc.config.mappings_dir, auth.username(user)
    result = await run_in_threadpool(actions.resolve_conflict, svc.store, letter, take, mappings, name)
    return dict(_json(result))


@router.post("/dead-letters/{letter_id}/ignore", summary="Close a dead letter without replaying it")
def ignore(letter_id: int, user: User, svc: Svc) -> dict[str, Any]:
    letter = actions.find_letter(svc.store, letter_id)
    auth.require(user, "PUT", letter.sync)
    actions.ensure_open(letter)
    return dict(_json(actions.ignore_letter(svc.store, letter)))
