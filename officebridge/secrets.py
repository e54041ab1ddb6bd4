"""A type for secrets, and the one redaction that masks them in every form they can take.

A secret rarely leaks as itself: a debug line shows it inside a repr (quotes and
backslashes escaped, non-ASCII as `\\xe9`), a JSON body escapes it, a URL
percent-encodes it, a Basic header base64-encodes `user:secret`, an HTML page
escapes it. So a `Secret` registers every such form of its value (`forms`), and
`redact` masks all of them, longest first. Inside Airflow each form is also
handed to Airflow's own masker (`airflow.sdk.log.mask_secret` in Airflow 3.3,
which masks in the task process and its supervisor), so task logs are masked
even where our filter is not installed; our redaction stays for everything
Airflow never sees (CLI output, the state store, dead letters, reports).
"""

from __future__ import annotations

import base64
import html
import importlib
import json
import logging
import re
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Final
from urllib.parse import quote, quote_plus

MASK: Final = "***"
MIN_LENGTH: Final = 4  # shorter values would mask ordinary words
_known: set[str] = set()
_lock = threading.Lock()
_airflow_mask: Callable[[str], None] | None = None
_airflow_tried = False


def _inner(text: str) -> str:
    return text[1:-1]


def forms(value: str, user: str | None = None) -> set[str]:
    """Every form of `value` a log line, URL, JSON or HTML body, or auth header may show."""
    out = {value}
    for text in (value, repr(value)[1:-1]):  # a repr inside a repr (an error message logged with %r)
        out |= {_inner(repr(text)), _inner(ascii(text)), _inner(json.dumps(text))}
        out.add(_inner(json.dumps(text, ensure_ascii=False)))
    out |= {quote(value, safe=""), quote(value), quote_plus(value)}
    out |= {quote(value, safe="").lower(), quote_plus(value).lower()}  # lower-case escapes (%2f)
    out |= {html.escape(value), html.escape(value, quote=False)}
    raw = value.encode("utf-8")
    pairs = [raw] + ([f"{user}:{value}".encode()] if user else [])
    for data in pairs:
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(data).decode("ascii")
            out |= {text, text.rstrip("=")}
    return {f for f in out if len(f) >= MIN_LENGTH}


def register(value: str, user: str | None = None) -> None:
    """Mask `value` (and, with `user`, the Basic-auth form of the pair) from now on, in this process."""
    if not value or len(value) < MIN_LENGTH:
        return
    found = forms(value, user)
    with _lock:
        new = found - _known
        _known.update(found)
    airflow = _airflow_masker()
    if airflow is not None:
        for form in new:
            airflow(form)


AIRFLOW_MASKERS = (
    "airflow.sdk.log",
    "airflow.sdk._shared.secrets_masker",
    "airflow.utils.log.secrets_masker",
)


def _airflow_masker() -> Callable[[str], None] | None:
    """Airflow's `mask_secret` (3.3: airflow.sdk.log) when this process runs Airflow, else None.

    Only when Airflow is already imported (a task, the scheduler, `airflow dags test`): the CLI
    must not pay for importing Airflow just to mask what it masks itself.
    """
    global _airflow_mask, _airflow_tried  # noqa: PLW0603 - looked up once per process
    if _airflow_tried or "airflow" not in sys.modules:
        return _airflow_mask
    _airflow_tried = True
    for module in AIRFLOW_MASKERS:
        try:
            _airflow_mask = importlib.import_module(module).mask_secret
            break
        except Exception:
            continue  # an older Airflow: try the next place; our own redaction masks regardless
    return _airflow_mask


def register_known_with_airflow() -> None:
    """Hand every form registered so far to Airflow's masker (a task calls this once it starts)."""
    airflow = _airflow_masker()
    if airflow is not None:
        with _lock:
            known = list(_known)
        for form in known:
            airflow(form)


class Secret:
    """Holds a credential; shows as *** everywhere except `reveal()`."""

    __slots__ = ("_value",)

    def __init__(self, value: str, *, user: str | None = None) -> None:
        self._value = value
        register(value, user)

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> tuple[type[Secret], tuple[str]]:
        return (Secret, (self._value,))  # registered again in the process that unpickles it


def redact(text: str) -> str:
    """Replace every form of every secret seen in this process by ***."""
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    return _SESSION_LIKE.sub(r"\1" + MASK, text)


def redact_all(texts: Iterable[str]) -> list[str]:
    return [redact(t) for t in texts]


# Bearer tokens / session ids in headers or URLs that are not registered secrets.
_SESSION_LIKE = re.compile(
    r"((?:Bearer\s+|(?:sessionId|session_id|password)[\"']?\s*[=:]\s*[\"']?))[^\s\"'&,<]+", re.I
)  # a value after `password=`/`password: `, not the word after "password" in prose


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in every formatted message and its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Put a RedactingFilter on every handler of `logger` (the root logger by default), once."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
