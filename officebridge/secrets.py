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

A process registers the same secrets again and again (every connection lookup,
every unpickled `Secret`): that is a no-op, Airflow's masker is handed a form
only once per process (each new pattern recompiles its whole regex). And a
long-lived process (the API server with the Syncs view, `dag.test`, a watch
loop) logs in again and again, each login a new session id: the registry keeps
the `MAX_SECRETS` most recently registered secrets and forgets older ones.
Airflow's masker cannot forget; Airflow runs each task in a process of its own.
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
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from typing import Final
from urllib.parse import quote, quote_plus

MASK: Final = "***"
MIN_LENGTH: Final = 4  # shorter values would mask ordinary words
MAX_SECRETS = 1024  # secrets a process remembers; a connection's own are registered again on each lookup
_known: set[str] = set()  # every form of every remembered secret: what `redact` masks
_secrets: OrderedDict[tuple[str, str | None], frozenset[str]] = OrderedDict()  # least recent first
_refs: Counter[str] = Counter()  # remembered secrets having each form (two may share one)
_handed: set[str] = set()  # forms Airflow's masker has from this process
_version = 0  # bumped when _known changes: `redact` keeps its longest-first order until then
_ordered: tuple[tuple[int, int, int], list[str]] = ((0, 0, -1), [])
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
    """Mask `value` (and, with `user`, the Basic-auth form of the pair) from now on, in this process.

    A secret registered already is only marked as recently used: no forms computed, Airflow untouched.
    """
    global _version  # noqa: PLW0603 - the registry is process-wide
    if not value or len(value) < MIN_LENGTH:
        return
    key = (value, user)
    with _lock:
        held = _secrets.get(key)
        if held is not None and held <= _known:  # (a registry swapped for a fresh set registers again)
            _secrets.move_to_end(key)
            return
    found = frozenset(forms(value, user))
    with _lock:
        if key not in _secrets:
            _refs.update(found)
        _secrets[key] = found
        _secrets.move_to_end(key)
        _known.update(found)
        while len(_secrets) > MAX_SECRETS:
            _forget(_secrets.popitem(last=False)[1])
        _version += 1
    _hand_to_airflow(found)


def _forget(found: frozenset[str]) -> None:
    """Drop the forms no remembered secret has any more (the caller holds the lock)."""
    for form in found:
        _refs[form] -= 1
        if _refs[form] <= 0:
            del _refs[form]
            _known.discard(form)
            _handed.discard(form)


def _hand_to_airflow(found: Iterable[str]) -> None:
    airflow = _airflow_masker()
    if airflow is None:
        return
    with _lock:
        new = [form for form in found if form not in _handed and form in _known]
        _handed.update(new)
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
            mask_secret = importlib.import_module(module).mask_secret
            break
        except Exception:
            continue  # an older Airflow: try the next place; our own redaction masks regardless
    else:
        return None
    _airflow_mask = _in_process_aware(mask_secret)
    return _airflow_mask


def _in_process_aware(mask_secret: Callable[[str], None]) -> Callable[[str], None]:
    """`mask_secret`, except under `dag.test()` / `airflow dags test`, whose supervisor runs in the task's
    own process and shares its masker: there the form goes to that masker alone. Airflow 3.3's
    in-process comms log every request they send at DEBUG, a MaskSecret's value in clear (its real
    supervisor omits that body), so sending it would print every secret in the task log."""

    def mask(form: str) -> None:
        runner = sys.modules.get("airflow.sdk.execution_time.task_runner")
        comms = getattr(runner, "SUPERVISOR_COMMS", None)
        if type(comms).__name__ == "InProcessSupervisorComms":
            try:
                masker = importlib.import_module("airflow.sdk._shared.secrets_masker")._secrets_masker()
            except Exception:
                pass  # another layout: sent as usual below
            else:
                masker.add_mask(form)
                return
        mask_secret(form)

    return mask


def register_known_with_airflow() -> None:
    """Hand Airflow's masker every form registered before Airflow was loaded (a task calls this once it
    starts); what it has already is not sent again."""
    with _lock:
        known = list(_known)
    _hand_to_airflow(known)


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
    for value in _longest_first():
        if value in text:
            text = text.replace(value, MASK)
    return _SESSION_LIKE.sub(r"\1" + MASK, text)


def _longest_first() -> list[str]:
    """The known forms, longest first (a form inside a longer one must not break it up), sorted once
    per change rather than on every call."""
    global _ordered  # noqa: PLW0603
    with _lock:
        stamp = (id(_known), len(_known), _version)
        if _ordered[0] != stamp:
            _ordered = (stamp, sorted(_known, key=len, reverse=True))
        return _ordered[1]


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
