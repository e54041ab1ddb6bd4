"""The HTML pages of the Syncs view: server-rendered, plain forms, no build step.

Airflow shows these pages in an iframe of its own UI (same origin, so the
login cookie comes along). Buttons are ordinary form POSTs that redirect back
with a notice, so the view works with scripts off; the one script only lets
"open in Airflow" links change the outer page instead of the frame. A POST
whose Origin is another site is refused, on top of the cookie's SameSite=Lax.
"""

from __future__ import annotations

import re
import zlib
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from officebridge.errors import StateError
from officebridge.secrets import redact
from officebridge.state.engine import masked
from officebridge.ui import actions, auth, overview
from officebridge.ui.app import HERE, Services, services

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=HERE / "templates")

User = Annotated[Any, Depends(auth.current_user)]
Svc = Annotated[Services, Depends(services)]


def _when(value: datetime | str | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):  # a token cursor's resume token: shown as it is
        return value
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _ago(value: datetime | None) -> str:
    if value is None:
        return ""
    seconds = int((datetime.now(UTC) - value).total_seconds())
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now" if seconds < 10 else f"{seconds} s ago"


def _hue(system: str) -> int:
    """A stable colour hue per system name, so each system's badge keeps one colour."""
    return zlib.crc32(system.encode()) % 360


templates.env.filters["when"] = _when
templates.env.filters["hue"] = _hue
templates.env.filters["ago"] = _ago
templates.env.filters["payload_text"] = overview.payload_text


def _paths(request: Request, svc: Services) -> dict[str, str]:
    """This app's own prefix and Airflow's, as the browser sees them (Airflow may sit under a sub-path)."""
    root = str(request.scope.get("root_path", "")).rstrip("/")
    airflow = root.removesuffix(svc.config.mount_path.rstrip("/"))
    return {"base": root, "airflow": airflow}


def _render(
    request: Request, svc: Services, user: Any, name: str, status_code: int = 200, **ctx: Any
) -> Response:
    notice = request.query_params.get("notice")
    tone = request.query_params.get("tone", "ok")
    paths = _paths(request, svc)
    context = {
        **paths,
        "user": auth.username(user) if user is not None else None,
        "notice": redact(notice) if notice else None,
        "notice_run": _run_link(paths["airflow"], request.query_params.get("run")),
        "tone": tone if tone in ("ok", "error") else "ok",
        "counts_shown": overview.COUNTS_SHOWN,
        "reconciled_shown": overview.RECONCILED_SHOWN,
        **ctx,
    }
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def message_page(request: Request, title: str, text: str, status_code: int) -> Response:
    svc: Services = request.app.state.services
    return _render(request, svc, None, "message.html", status_code, title=title, text=text)


def _store_or_page(request: Request, svc: Services, user: Any) -> Any:
    try:
        return svc.store
    except StateError as exc:
        return _render(
            request, svc, user, "message.html", 503, title="State store unavailable", text=redact(str(exc))
        )


@router.get("/")
def root(request: Request) -> RedirectResponse:
    return RedirectResponse(f"{request.scope.get('root_path', '')}/syncs", status_code=307)


@router.get("/syncs", response_class=HTMLResponse)
def syncs_page(request: Request, user: User, svc: Svc) -> Response:
    auth.require(user, "GET")
    store = _store_or_page(request, svc, user)
    if isinstance(store, Response):
        return store
    rows = [v for v in overview.syncs(store, svc.catalogue) if auth.can(user, "GET", v.name)]
    letters = [d for d in overview.dead_letters(store, limit=200) if auth.can(user, "GET", d.sync)]
    can_act = {v.name: auth.can(user, "PUT", v.name) for v in rows}
    return _render(
        request,
        svc,
        user,
        "syncs.html",
        syncs=rows,
        letters=letters,
        can_act=can_act,
        store_url=masked(store.url),
        here=f"{_paths(request, svc)['base']}/syncs",
    )


@router.get("/syncs/{sync}", response_class=HTMLResponse)
def sync_page(sync: str, request: Request, user: User, svc: Svc) -> Response:
    auth.require(user, "GET", sync)
    store = _store_or_page(request, svc, user)
    if isinstance(store, Response):
        return store
    found = overview.sync_detail(store, svc.catalogue, sync)
    if found is None:
        return _render(
            request,
            svc,
            user,
            "message.html",
            404,
            title="No such sync",
            text=f"No mapping file and no state for a sync named {sync!r}.",
        )
    letters = overview.dead_letters(store, sync, limit=500)
    return _render(
        request,
        svc,
        user,
        "sync.html",
        sync=found,
        letters=[d for d in letters if d.stage != overview.CONFLICT_STAGE],
        conflicts=overview.conflicts(store, svc.config.mappings_dir, sync),
        resolved=overview.conflicts(store, svc.config.mappings_dir, sync, status="replayed", limit=20),
        can_act={sync: auth.can(user, "PUT", sync)},
        store_url=masked(store.url),
        here=f"{_paths(request, svc)['base']}/syncs/{sync}",
    )


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


def _back(request: Request, svc: Services, back: str) -> str:
    """Where to return after a button: a path inside this app, never anywhere else."""
    base = _paths(request, svc)["base"]
    ok = back.startswith(f"{base}/syncs") and "//" not in back and "\\" not in back
    return back if ok else f"{base}/syncs"


def _done(target: str, tone: str, notice: str, run: str = "", anchor: str = "") -> RedirectResponse:
    """Back to the page the button was on, with a notice saying what happened (POST-redirect-GET);
    after a replay the notice links to the Airflow run that does it (`run` = "DAG_ID/RUN_ID")."""
    query = {"notice": notice, "tone": tone, **({"run": run} if run else {})}
    return RedirectResponse(f"{target}?{urlencode(query)}{'#' + anchor if anchor else ''}", status_code=303)


def _run_ref(result: actions.ActionResult) -> str:
    return f"{result.dag_id}/{result.dag_run_id}" if result.dag_id else ""


RUN_REF = re.compile(r"^(replay__[A-Za-z0-9_.-]+)/([A-Za-z0-9_.:+-]+)$")


def _run_link(airflow: str, ref: str | None) -> str | None:
    """The Airflow page of the run a notice names; anything that is not a DAG and run id gives none."""
    found = RUN_REF.match(ref or "")
    return f"{airflow}/dags/{quote(found[1])}/runs/{quote(found[2])}" if found else None


@router.post("/syncs/{sync}/replay-all")
async def act_on_sync(
    sync: str, request: Request, user: User, svc: Svc, back: Annotated[str, Form()] = ""
) -> Response:
    if not _same_origin(request):
        return message_page(request, "Refused", "This form was posted from another site.", 403)
    try:
        auth.require(user, "PUT", sync)
        name = auth.username(user)
        result = await run_in_threadpool(actions.replay_sync, svc.store, sync, name, from_ui=True)
    except (actions.ActionError, auth.ForbiddenError, StateError) as exc:
        return _done(_back(request, svc, back), "error", str(exc))
    return _done(_back(request, svc, back), "ok", result.message, _run_ref(result))


@router.post("/syncs/dead-letters/{letter_id}/{action}")
async def act(  # noqa: PLR0917 - FastAPI passes path, form and dependencies by name
    letter_id: int,
    action: Literal["replay", "ignore"],
    request: Request,
    user: User,
    svc: Svc,
    back: Annotated[str, Form()] = "",
) -> Response:
    if not _same_origin(request):
        return message_page(request, "Refused", "This form was posted from another site.", 403)
    target = _back(request, svc, back)
    try:
        letter = actions.find_letter(svc.store, letter_id)
        auth.require(user, "PUT", letter.sync)
        actions.ensure_open(letter)
        if action == "replay":
            actions.ensure_not_conflict(letter)
            result = await run_in_threadpool(
                actions.replay_letter, svc.store, letter, auth.username(user), from_ui=True
            )
        else:
            result = actions.ignore_letter(svc.store, letter)
    except (actions.ActionError, auth.ForbiddenError, StateError) as exc:
        return _done(target, "error", str(exc))
    return _done(target, "ok", result.message, _run_ref(result))


@router.post("/syncs/conflicts/{letter_id}/resolve")
async def resolve(  # noqa: PLR0917 - FastAPI passes path, form and dependencies by name
    letter_id: int,
    request: Request,
    user: User,
    svc: Svc,
    take: Annotated[Literal["a", "b"], Form()],
    back: Annotated[str, Form()] = "",
) -> Response:
    """Keep one side's version of a conflict on both systems, in this request (see actions)."""
    if not _same_origin(request):
        return message_page(request, "Refused", "This form was posted from another site.", 403)
    target = _back(request, svc, back)
    try:
        letter = actions.find_letter(svc.store, letter_id)
        auth.require(user, "PUT", letter.sync)
        mappings = svc.config.mappings_dir
        name = auth.username(user)
        result = await run_in_threadpool(actions.resolve_conflict, svc.store, letter, take, mappings, name)
    except (actions.ActionError, auth.ForbiddenError, StateError) as exc:
        return _done(target, "error", redact(str(exc)))
    return _done(target, "ok", result.message, anchor=f"conflict-{letter_id}")
