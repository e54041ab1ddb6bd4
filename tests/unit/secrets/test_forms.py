"""Redaction masks a secret in every form it can take in a log line, URL, JSON, HTML or header."""

from __future__ import annotations

import base64
import html
import json
import logging
import uuid
from urllib.parse import quote, quote_plus, urlencode

import pytest

from officebridge.connections import parse_connection
from officebridge.errors import ConfigError
from officebridge.secrets import MASK, RedactingFilter, Secret, redact


def hostile() -> str:
    return f"p'a\"s\\s/w%rd é€{uuid.uuid4().hex[:8]}"


def renderings(secret: str, user: str) -> dict[str, str]:
    return {
        "plain": secret,
        "repr": repr(secret),
        "repr of repr": repr(repr(secret)),
        "repr in a list": repr(["db", user, secret]),
        "ascii": ascii(secret),
        "json": json.dumps(secret),
        "json utf-8": json.dumps({"password": secret}, ensure_ascii=False),
        "quote": quote(secret, safe=""),
        "quote keeps /": quote(secret),
        "quote_plus": quote_plus(secret),
        "urlencode": urlencode({"pw": secret}),
        "html": html.escape(secret),
        "base64": base64.b64encode(secret.encode()).decode(),
        "basic auth": "Authorization: Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode(),
    }


@pytest.mark.parametrize("form", list(renderings("x", "u")))
def test_every_rendering_of_a_hostile_secret_is_masked(form: str) -> None:
    secret, user = hostile(), "integration@example.com"
    Secret(secret, user=user)
    text = f"before {renderings(secret, user)[form]} after"
    clean = redact(text)
    assert MASK in clean
    for shown in renderings(secret, user).values():
        assert shown not in clean or shown in ("before", "after")
    assert secret.split("/")[-1] not in clean  # not even the tail after a slash


def test_a_debug_line_with_the_secret_in_its_args_is_masked(caplog: pytest.LogCaptureFixture) -> None:
    secret = hostile()
    Secret(secret)
    logger = logging.getLogger("test.secrets.debug")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.DEBUG, logger="test.secrets.debug"):
        logger.debug("(JSON,send) %s", {"params": {"args": ["db", "admin", secret]}})
        try:
            raise ValueError(f"bad {secret!r}")
        except ValueError:
            logger.exception("failed")
    out = caplog.text + "".join(r.exc_text or "" for r in caplog.records)
    assert secret not in out and repr(secret)[1:-1] not in out and "w%rd" not in out


def test_a_uri_password_with_a_slash_parses_and_is_never_printed() -> None:
    secret = f"se/cr@t{uuid.uuid4().hex[:6]}"
    conn = parse_connection("odoo_x", f"odoo://admin:{secret}@erp.example.com:8069/prod")
    assert (conn.password.reveal(), conn.host, conn.port, conn.schema) == (
        secret,
        "erp.example.com",
        8069,
        "prod",
    )
    with pytest.raises(ConfigError) as info:
        parse_connection("odoo_x", "odoo://admin:se/cr?3t9@erp.example.com:8069/prod")
    assert "cr?3t9" not in str(info.value) and "odoo_x" in str(info.value)
