"""The secret registry of a long-lived process: a secret registered again costs nothing, and the
registry (with what Airflow's masker is handed) stops growing."""

from __future__ import annotations

from collections import Counter, OrderedDict

import pytest

from officebridge import secrets
from officebridge.secrets import MASK, Secret, redact


@pytest.fixture
def masker(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A fresh registry, as a new process has it, inside Airflow: what its masker is handed, in order."""
    handed: list[str] = []
    monkeypatch.setattr(secrets, "_known", set())
    monkeypatch.setattr(secrets, "_secrets", OrderedDict())
    monkeypatch.setattr(secrets, "_refs", Counter())
    monkeypatch.setattr(secrets, "_handed", set())
    monkeypatch.setattr(secrets, "_airflow_tried", True)
    monkeypatch.setattr(secrets, "_airflow_mask", handed.append)
    return handed


def test_a_secret_registered_again_does_not_touch_airflows_masker(masker: list[str]) -> None:
    Secret("pw'with\\quote%é-1", user="bob")
    first = list(masker)
    assert "pw'with\\quote%é-1" in first and len(first) == len(set(first))
    for _ in range(3):
        Secret("pw'with\\quote%é-1", user="bob")  # every connection lookup makes a new Secret
    secrets.register_known_with_airflow()  # a task starting in the same process
    assert masker == first
    assert redact("login pw'with\\quote%é-1 failed") == f"login {MASK} failed"


def test_forms_known_before_airflow_was_loaded_are_handed_over_once(
    masker: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(secrets, "_airflow_mask", None)  # the CLI imported no Airflow yet
    Secret("early-secret-42")
    monkeypatch.setattr(secrets, "_airflow_mask", masker.append)
    secrets.register_known_with_airflow()
    secrets.register_known_with_airflow()
    assert "early-secret-42" in masker and len(masker) == len(set(masker))


def test_a_long_lived_process_keeps_the_most_recently_registered_secrets(
    masker: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(secrets, "MAX_SECRETS", 3)
    Secret("connection-password")
    for n in range(10):  # a login per run, each a new session id
        Secret(f"session-{n:04d}-token")
        Secret("connection-password")  # looked up again by each run: still remembered
    assert len(secrets._secrets) == 3
    assert secrets._known == set().union(*secrets._secrets.values())
    assert redact("connection-password session-0009-token") == f"{MASK} {MASK}"
    assert redact("session-0000-token") == "session-0000-token"  # forgotten, long unused
    assert len(masker) == len(set(masker))


def test_a_form_two_secrets_share_stays_masked_when_one_is_forgotten(
    masker: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(secrets, "MAX_SECRETS", 2)
    Secret("shared-value", user="alice")
    Secret("shared-value", user="bob")  # the same password for two logins: the plain forms are shared
    Secret("another-one")  # alice's pair is forgotten
    assert redact("shared-value") == MASK


def test_a_registry_replaced_by_a_fresh_set_is_filled_again(masker: list[str]) -> None:
    """What the test session's fixture for Airflow-in-process tests does (tests/conftest.py)."""
    Secret("swapped-secret")
    secrets._known = set()
    Secret("swapped-secret")
    assert redact("swapped-secret") == MASK
