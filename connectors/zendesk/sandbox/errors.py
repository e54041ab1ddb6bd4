"""Zendesk's error answers, as the API sends them (see README.md for where each shape comes from).

JSON for the API's own refusals (`RecordNotFound`, `RecordInvalid`, 401),
text/plain for the 429 that Zendesk's rate limiter sends in front of the API.
"""

from __future__ import annotations

import json
from typing import Any

from officebridge.sandboxkit import Answer

RATE_LIMIT_TEXT = "Number of allowed API requests per minute exceeded"
RATE_HEADERS = {"X-Rate-Limit": "700"}


class ApiError(Exception):
    """Raised by a route; `answer` is what the client receives."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.body = body
        super().__init__(json.dumps(body))

    @property
    def answer(self) -> Answer:
        return Answer(self.status, json.dumps(self.body).encode())


class Invalid(Exception):
    """One record refused by validation: `details` as in a RecordInvalid body."""

    def __init__(self, field: str, description: str, error: str = "InvalidValue") -> None:
        self.field = field
        self.description = description
        self.error = error
        super().__init__(description)

    def details(self) -> dict[str, list[dict[str, str]]]:
        return {self.field: [{"description": self.description, "error": self.error}]}


def not_found() -> ApiError:
    return ApiError(404, {"error": "RecordNotFound", "description": "Not found"})


def invalid(problem: Invalid, what: str) -> ApiError:
    return ApiError(422, {"error": "RecordInvalid", "description": "Record validation errors",
                          "details": problem.details()})  # fmt: skip


def unauthenticated() -> ApiError:
    return ApiError(401, {"error": "Couldn't authenticate you"})


def token_invalid() -> ApiError:
    description = "The access token provided is expired, revoked, malformed, or invalid for other reasons."
    return ApiError(401, {"error": "invalid_token", "error_description": description})


def bad_request(description: str, error: str = "InvalidValue") -> ApiError:
    return ApiError(400, {"error": error, "description": description})


def unprocessable(description: str, error: str = "InvalidValue") -> ApiError:
    return ApiError(422, {"error": error, "description": description})


def no_endpoint(path: str) -> ApiError:
    return ApiError(404, {"error": "InvalidEndpoint", "description": f"Not found: {path}"})


def rate_limited() -> Answer:
    headers = {**RATE_HEADERS, "X-Rate-Limit-Remaining": "0"}
    return Answer(429, RATE_LIMIT_TEXT.encode(), "text/plain; charset=utf-8", headers)
