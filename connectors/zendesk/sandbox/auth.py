"""Who is calling: API token (`{email}/token:{token}`), password, or an OAuth bearer token.

Zendesk accepts HTTP Basic with `{email}/token` and an API token, Basic with
a password (being retired), and `Authorization: Bearer` with an OAuth access
token. API tokens do not expire; OAuth tokens are the sandbox's sessions, so
`expire_sessions` makes them fail the way a revoked or expired token does.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from connectors.zendesk.sandbox import errors
from officebridge.sandboxkit import Sessions


@dataclass(frozen=True, slots=True)
class Agent:
    """The sandbox's one admin: the identity every credential belongs to."""

    email: str = "admin@example.com"
    api_token: str = "sandbox-zendesk-api-token-0001"
    password: str = "sandbox-pass"
    name: str = "Sandbox Admin"


def bearer(header: str) -> str | None:
    return header[7:].strip() if header[:7].lower() == "bearer " else None


def check(header: str, agent: Agent, sessions: Sessions) -> None:
    """Raise the ApiError Zendesk answers when `header` (Authorization) is not a valid credential."""
    token = bearer(header)
    if token is not None:
        if sessions.live(token):
            return
        raise errors.token_invalid() if sessions.expired(token) else errors.unauthenticated()
    if header[:6].lower() != "basic ":
        raise errors.unauthenticated()
    try:
        user, _, secret = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise errors.unauthenticated() from None
    if user.lower() == f"{agent.email}/token" and secret == agent.api_token:
        return
    if user.lower() == agent.email and secret == agent.password:
        return
    raise errors.unauthenticated()
