"""The redactor masks secret values, never the words of a message that mentions a password."""

from __future__ import annotations

import pytest

from officebridge.secrets import redact

PROSE = [
    "Access Denied: wrong login, password or API key",
    "the password is wrong for user admin",
    "check the Password field of connection odoo_default",
]
VALUES = [
    ("password=hunter2x&user=a", "password=***&user=a"),
    ('{"password": "hunter2x"}', '{"password": "***"}'),
    ("password: hunter2x", "password: ***"),
    ("Authorization: Bearer abc.def.ghi", "Authorization: Bearer ***"),
    ("sessionId=00Dxx!AQ4", "sessionId=***"),
]


@pytest.mark.parametrize("text", PROSE)
def test_prose_about_passwords_stays_readable(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(("text", "masked"), VALUES)
def test_values_after_a_key_are_masked(text: str, masked: str) -> None:
    assert redact(text) == masked
