"""The HTTP face of the Salesforce sandbox: routing to login, REST and Salesforce's own error answers.

The kit owns the socket, TLS, faults and statistics; this module says what
Salesforce says: the request-head cap (414/431), `Sforce-Limit-Info` on every
API answer, 401 `INVALID_SESSION_ID`, JSON error lists, `UNKNOWN_EXCEPTION`
with an ErrorId for an internal failure. The operation name a fault's
`operation` matches is the route without its `/services/data/vXX.X/` prefix,
e.g. `POST composite/sobjects`, `GET query`, `PATCH sobjects/Account/{id}`,
plus `POST login` (SOAP), `POST oauth2/token` and `GET versions`.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from typing import TYPE_CHECKING, Any

from connectors.salesforce.sandbox.auth import oauth_token, soap_fault, soap_login
from connectors.salesforce.sandbox.errors import SfError
from connectors.salesforce.sandbox.rest import SUPPORTED_VERSIONS, versions_list
from connectors.salesforce.sandbox.rest import Request as RestRequest
from officebridge.sandboxkit import Answer, Call, Request

if TYPE_CHECKING:
    from connectors.salesforce.sandbox.sandbox import SalesforceSandbox

API_LIMIT = 15000
# Salesforce's documented cap on one REST call: request line plus headers, in bytes. A URI alone over
# it is refused with 414, a request whose headers push it over with 431 (Salesforce help 000386264).
MAX_REQUEST_HEAD = 16384
DATA_PREFIX = "/services/data/v"
JSON_TYPE = "application/json;charset=UTF-8"
log = logging.getLogger(__name__)
_DATA_RE = re.compile(r"^/services/data/v(\d+\.\d+)(?:/(.*))?$")
_SOAP_RE = re.compile(r"^/services/Soap/u/(\d+\.\d+)(?:/.*)?$")
_ID_LIKE = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")
_VERSIONED = "/services/data/vXX.X/"


def route_name(method: str, path: str) -> str:
    """A stable route label for stats: ids, locators and external-id values become placeholders."""
    m = _DATA_RE.match(path.rstrip("/"))
    if not m:
        return f"{method} {path.rstrip('/') or '/'}"
    parts = [x for x in (m.group(2) or "").split("/") if x]
    shown = []
    for i, part in enumerate(parts):
        if i >= 1 and parts[0] in ("query", "queryAll"):
            shown.append("{locator}")
        elif parts[0] == "jobs" and i == 2:
            shown.append("{id}")
        elif parts[0] == "sobjects" and i == 3:
            shown.append("{value}")
        elif parts[0] == "sobjects" and i == 2 and _ID_LIKE.match(part):
            shown.append("{id}")
        else:
            shown.append(part)
    return f"{method} {_VERSIONED}" + "/".join(shown)


def operation_name(method: str, path: str, route: str) -> str | None:
    if route.startswith(f"{method} {_VERSIONED}"):
        return f"{method} {route.split(_VERSIONED, 1)[1]}"
    if _SOAP_RE.match(path):
        return f"{method} login"
    bare = path.rstrip("/")
    if bare == "/services/oauth2/token":
        return f"{method} oauth2/token"
    return f"{method} versions" if bare == "/services/data" else None


def too_large(request: Request) -> Answer | None:
    """Refuse a request head over Salesforce's 16,384-byte limit the way its front end does.

    The status follows the documented rule (414 when the URI alone is too long, else 431); the
    small HTML body mirrors what clients have reported receiving (`<h1>Bad Message 414</h1>...`).
    """
    if len(request.target.encode("latin-1", "replace")) > MAX_REQUEST_HEAD:
        status, reason = 414, "URI Too Long"
    elif request.head_size > MAX_REQUEST_HEAD:
        status, reason = 431, "Request Header Fields Too Large"
    else:
        return None
    body = f"<h1>Bad Message {status}</h1><pre>reason: {reason}</pre>".encode()
    return Answer(status, body, "text/html;charset=iso-8859-1", close=True)


def describe(request: Request, api_usage: int, allocation: int = API_LIMIT) -> Call:
    route = route_name(request.method, request.path)
    is_api = request.path.startswith(DATA_PREFIX)
    headers = {"Sforce-Limit-Info": f"api-usage={api_usage}/{allocation}"} if is_api else {}
    operation = operation_name(request.method, request.path, route)
    return Call(request.path, route, operation, uses_session=is_api, headers=headers)


def request_limit_answer() -> Answer:
    """The org's daily allocation is spent: 403 REQUEST_LIMIT_EXCEEDED, as the REST API answers."""
    body = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    return json_answer(403, body)


def json_answer(status: int, payload: Any) -> Answer:
    body = b"" if payload is None else json.dumps(payload, ensure_ascii=False).encode("utf-8")
    return Answer(status, body, JSON_TYPE)


def unknown_exception() -> dict[str, str]:
    """Salesforce's answer to an internal failure: HTTP 500, UNKNOWN_EXCEPTION, an ErrorId to quote."""
    error_id = f"{secrets.randbelow(10**10)}-{secrets.randbelow(10**6)} ({secrets.randbelow(2**31)})"
    return {
        "message": "An unexpected error occurred. Please include this ErrorId if you contact support: "
        + error_id,
        "errorCode": "UNKNOWN_EXCEPTION",
    }


def api_error_body(status: int, code: str | None, message: str | None) -> list[dict[str, str]]:
    """What Salesforce's own API tier says with a 5xx: UNKNOWN_EXCEPTION for 500, else SERVER_UNAVAILABLE."""
    unavailable = {
        "message": "Server temporarily unavailable. Please retry later.",
        "errorCode": "SERVER_UNAVAILABLE",
    }
    default = unknown_exception() if status == 500 else unavailable
    return [{"message": message or default["message"], "errorCode": code or default["errorCode"]}]


def answer(sb: SalesforceSandbox, request: Request) -> Answer:
    try:
        return _route(sb, request)
    except SfError as exc:
        return json_answer(exc.status, exc.rest_body())
    except Exception:  # a sandbox bug: answer like Salesforce's own internal error, keep serving
        log.exception("internal error on %s %s", request.method, request.path)
        return json_answer(500, [unknown_exception()])


def _route(sb: SalesforceSandbox, request: Request) -> Answer:
    path, method = request.path, request.method
    m = _SOAP_RE.match(path)
    if m and method == "POST":
        status, xml = soap_login(request.body, sb.user, sb.sessions.issue, sb.url, m.group(1))
        return Answer(status, xml, "text/xml;charset=UTF-8")
    if path.rstrip("/") == "/services/oauth2/token" and method == "POST":
        return json_answer(*oauth_token(request.body, sb.user, sb.sessions.issue, sb.url))
    if path.rstrip("/") == "/services/data":
        return json_answer(200, versions_list())
    m = _DATA_RE.match(path)
    if not m or m.group(1) not in SUPPORTED_VERSIONS:
        raise SfError("NOT_FOUND", "The requested resource does not exist", status=404)
    auth = request.headers.get("authorization") or ""
    token = auth[7:].strip() if auth.lower().startswith(("bearer ", "oauth ")) else None
    if not sb.sessions.live(token):
        raise SfError("INVALID_SESSION_ID", "Session expired or invalid", status=401)
    parts = [x for x in (m.group(2) or "").split("/") if x]
    if parts and parts[0] == "jobs":  # Bulk API 2.0: CSV bodies and answers, headers of its own
        return sb.bulk.handle(method, parts, dict(request.query), request.body, m.group(1))
    body: Any = None
    if request.body:
        try:
            body = json.loads(request.body)
        except ValueError:
            raise SfError("JSON_PARSER_ERROR", "Unexpected character in the request body: not JSON") from None
    rest = RestRequest(method, parts, dict(request.query), body, dict(request.headers), m.group(1), path)
    return json_answer(*sb.rest.handle(rest))


__all__ = ["answer", "describe", "route_name", "soap_fault", "too_large"]
