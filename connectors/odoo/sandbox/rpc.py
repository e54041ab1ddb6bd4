"""The `/jsonrpc` services of the emulated server: db, common and object.

This mirrors `odoo/service/{db,common,model}.py`: `common.login` checks the
credentials and answers a uid or `false`; every `object` call re-checks db,
uid and password (AccessDenied otherwise), refuses private methods
(AccessError) and unknown models (UserError), then runs the ORM method in one
transaction. Server-side exceptions become Odoo's error payload in `server.py`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connectors.odoo.sandbox import business, invoicing, reading, writing
from connectors.odoo.sandbox.catalog import ModelSpec, fields_get_view, registry
from connectors.odoo.sandbox.env import Env, RecordCheck
from connectors.odoo.sandbox.exceptions import (
    AccessDenied,
    AccessError,
    OdooServerError,
    PyAttributeError,
    PyTypeError,
    PyValueError,
    UserError,
)
from connectors.odoo.sandbox.store import Store

SERVER_VERSION = "17.0"
VERSION_INFO = {
    "server_version": SERVER_VERSION,
    "server_version_info": [17, 0, 0, "final", 0, ""],
    "server_serie": SERVER_VERSION,
    "protocol_version": 1,
}


class DatabaseMissing(OdooServerError):
    """What a real server reports when the named PostgreSQL database does not exist."""

    odoo_name = "psycopg2.OperationalError"


@dataclass
class Credentials:
    database: str
    login: str
    password: str
    uid: int = 2


def _fields_get(
    env: Env, spec: ModelSpec, allfields: list[str] | None = None, attributes: list[str] | None = None
) -> dict[str, Any]:
    return fields_get_view(spec, allfields, attributes)


def _default_get(env: Env, spec: ModelSpec, fields_list: list[str]) -> dict[str, Any]:
    return {f: v for f, v in spec.defaults.items() if f in fields_list}


def _context_get(env: Env, spec: ModelSpec) -> dict[str, Any]:
    row = env.conn.execute("SELECT lang, tz FROM res_users WHERE id = ?", [env.uid]).fetchone()
    return {
        "lang": (row[0] if row else None) or "en_US",
        "tz": (row[1] if row else None) or "Europe/Brussels",
        "uid": env.uid,
    }


def _check_object_reference(
    env: Env, spec: ModelSpec, module: str, xml_id: str, raise_on_access_error: bool = False
) -> list[Any]:
    row = env.conn.execute(
        "SELECT model, res_id FROM ir_model_data WHERE module = ? AND name = ?", [module, xml_id]
    ).fetchone()
    if row is None:
        raise PyValueError(f"External ID not found in the system: {module}.{xml_id}")
    return [row[0], row[1]]


def _archive(env: Env, spec: ModelSpec, ids: Any) -> bool:
    return writing.set_active(env, spec, ids, False)


def _unarchive(env: Env, spec: ModelSpec, ids: Any) -> bool:
    return writing.set_active(env, spec, ids, True)


# method -> (implementation, models it exists on or None for all)
METHODS: dict[str, tuple[Callable[..., Any], frozenset[str] | None]] = {
    "search": (reading.search, None),
    "search_count": (reading.search_count, None),
    "search_read": (reading.search_read, None),
    "read": (reading.read, None),
    "name_search": (reading.name_search, None),
    "create": (writing.create, None),
    "write": (writing.write, None),
    "unlink": (writing.unlink, None),
    "action_archive": (_archive, None),
    "action_unarchive": (_unarchive, None),
    "fields_get": (_fields_get, None),
    "default_get": (_default_get, None),
    "context_get": (_context_get, frozenset({"res.users"})),
    "check_object_reference": (_check_object_reference, frozenset({"ir.model.data"})),
    "action_post": (invoicing.action_post, frozenset({"account.move"})),
    "button_draft": (invoicing.button_draft, frozenset({"account.move"})),
    "button_cancel": (invoicing.button_cancel, frozenset({"account.move"})),
    "action_confirm": (invoicing.action_confirm, frozenset({"sale.order"})),
    "action_cancel": (invoicing.action_cancel, frozenset({"sale.order"})),
    "action_draft": (invoicing.action_draft, frozenset({"sale.order"})),
    "action_set_won": (business.action_set_won, frozenset({"crm.lead"})),
    "action_set_lost": (business.action_set_lost, frozenset({"crm.lead"})),
}


class Dispatcher:
    """Runs the three JSON-RPC services against one store."""

    def __init__(self, store: Store, credentials: Credentials) -> None:
        self.store = store
        self.credentials = credentials

    def dispatch(self, service: str, method: str, args: list[Any], record_check: RecordCheck | None) -> Any:
        if service == "db":
            return self._db(method, args)
        if service == "common":
            return self._common(method, args)
        if service == "object":
            return self._object(method, args, record_check)
        raise PyValueError(f"No such service: {service}")

    def _db(self, method: str, args: list[Any]) -> Any:
        if method == "list":
            return [self.credentials.database]
        if method == "server_version":
            return SERVER_VERSION
        if method == "db_exist":
            return bool(args) and args[0] == self.credentials.database
        if method == "list_lang":
            return [["en_US", "English (US)"]]
        raise AccessDenied()  # database management needs the master password, which the sandbox has none of

    def _common(self, method: str, args: list[Any]) -> Any:
        if method == "version":
            return dict(VERSION_INFO)
        if method == "about":
            return "See http://openerp.com" if not (args and args[0]) else ["See http://openerp.com", "17.0"]
        if method in ("login", "authenticate"):
            if len(args) < 3:
                raise PyTypeError(f"{method}() missing required positional arguments")
            db, login, password = args[0], args[1], args[2]
            self._require_db(db)
            creds = self.credentials
            return creds.uid if (login == creds.login and password == creds.password) else False
        raise PyAttributeError(f"No such method in service 'common': {method}")

    def _require_db(self, db: Any) -> None:
        if db != self.credentials.database:
            raise DatabaseMissing(f'connection to server failed: FATAL:  database "{db}" does not exist')

    def check_credentials(self, args: list[Any]) -> None:
        if len(args) < 5:
            raise PyTypeError("execute_kw() missing required positional arguments")
        db, uid, password = args[0], args[1], args[2]
        self._require_db(db)
        if uid != self.credentials.uid or password != self.credentials.password:
            raise AccessDenied()

    def _object(self, method: str, args: list[Any], record_check: RecordCheck | None) -> Any:
        self.check_credentials(args)
        uid, model, name = args[1], args[3], args[4]
        if method == "execute_kw":
            call_args = list(args[5]) if len(args) > 5 and args[5] else []
            call_kwargs = dict(args[6]) if len(args) > 6 and args[6] else {}
        elif method == "execute":
            call_args, call_kwargs = list(args[5:]), {}
        else:
            raise PyAttributeError(f"No such method in service 'object': {method}")
        if not isinstance(name, str) or name.startswith("_") or name == "init":
            raise AccessError(f"Private methods (such as {name}) cannot be called remotely.")
        if model not in registry():
            raise UserError(f"Object {model} doesn't exist")
        impl, models = METHODS.get(name, (None, None))
        if impl is None or (models is not None and model not in models):
            raise PyAttributeError(f"The method '{name}' does not exist on the model '{model}'")
        context = call_kwargs.pop("context", None) or {}
        spec = registry()[model]
        try:
            inspect.signature(impl).bind(None, spec, *call_args, **call_kwargs)
        except TypeError as exc:
            raise PyTypeError(f"{model}.{name}(): {exc}") from None
        with self.store.transaction() as conn:
            env = Env(conn, int(uid), dict(context), record_check=record_check)
            try:
                return impl(env, spec, *call_args, **call_kwargs)
            except TypeError as exc:
                raise PyTypeError(str(exc)) from None
