"""HubSpot's error bodies, in one place: the shapes the client's `ApiException.body` carries.

Every error is `{"status": "error", "message", "correlationId", "category", ...}`
(the `Error` model of hubspot-api-client); authentication failures use the
INVALID_AUTHENTICATION / EXPIRED_AUTHENTICATION categories, rate limits the
older `errorType: RATE_LIMIT` + `policyName` shape that HubSpot still sends.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from officebridge.sandboxkit.wire import Answer

NO_CREDENTIALS = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
    "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
EXPIRED = "The OAuth token used to make this call expired 0 hour(s) ago."
LIMIT_MESSAGES = {
    "SECONDLY": "You have reached your secondly limit.",
    "TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
    "DAILY": "You have reached your daily limit.",
}


def correlation_id() -> str:
    return str(uuid.uuid4())


def answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Answer:
    return Answer(status, json.dumps(body).encode(), "application/json;charset=utf-8", headers or {})


def error(status: int, category: str, message: str, **extra: Any) -> Answer:
    body = {"status": "error", "message": message, "correlationId": correlation_id(), "category": category}
    return answer(status, {**body, **extra})


def validation(message: str, errors: list[dict[str, Any]] | None = None) -> Answer:
    return error(400, "VALIDATION_ERROR", message, **({"errors": errors} if errors else {}))


def unauthorized(expired: bool) -> Answer:
    if expired:
        return error(401, "EXPIRED_AUTHENTICATION", EXPIRED, context={"expire time": ["0"]})
    return error(401, "INVALID_AUTHENTICATION", NO_CREDENTIALS)


def rate_limited(policy: str, headers: dict[str, str]) -> Answer:
    body = {
        "status": "error",
        "message": LIMIT_MESSAGES[policy],
        "errorType": "RATE_LIMIT",
        "correlationId": correlation_id(),
        "policyName": policy,
        "groupName": f"publicapi:private-app-{policy.lower()}:demo",
    }
    return answer(429, body, headers)


def standard_error(category: str, message: str, context: dict[str, list[str]]) -> dict[str, Any]:
    """One entry of a 207 answer's `errors` (the StandardError model)."""
    return {
        "status": "error",
        "category": category,
        "message": message,
        "context": context,
        "errors": [],
        "links": {},
    }
