"""The checked mapping of a DAG file, kept between parses while nothing it was checked from changed.

Airflow's DAG processor parses every DAG file again every few dozen seconds, each
time in a fresh process, and the mapping behind a file rarely changes. Loading
it (two passes of a pure-Python YAML parser, the mapping schema, the record
schema) was most of a parse. So the checked `Mapping` is kept:

- in this process, for a file parsed again in it (tests, `dags test`);
- on disk, for the next process: `$OFFICEBRIDGE_DAG_CACHE`, else
  `$OFFICEBRIDGE_HOME/dag-cache` (created 0700). An entry is named by a digest of
  the mapping file's path, size and mtime, of its record schema file(s), and of
  officebridge's own mapping and quality code (an upgrade re-checks everything).
  Any mismatch, a missing or unreadable entry, or a cache folder that another
  user could write to (pickle runs code: it must be ours alone) means "load
  the file as before". Mappings with problems are never cached, so their
  errors show on every parse.

Only the file-level check is cached; `schedule.on` upstream checks and the
DAG itself are built on every parse (the folder around the file may change).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from officebridge import settings

_VERSION = b"officebridge-dag-cache-1"
_memo: dict[str, tuple[str, Any]] = {}


def _stamp(path: Path) -> bytes:
    try:
        st = path.stat()
    except OSError:
        return f"{path}:missing".encode()
    return f"{path}:{st.st_size}:{st.st_mtime_ns}".encode()


@cache
def _code_digest() -> bytes:
    """What the checks are made of: officebridge's mapping and quality modules (names, sizes, mtimes)."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(_VERSION)
    for folder in ("mapping", "quality"):
        for source in sorted((package / folder).rglob("*.py")):
            digest.update(_stamp(source))
    return digest.digest()


def _schema_files(path: Path) -> list[Path]:
    """Where the mapping's record schema may come from (every candidate: a new one found first counts)."""
    from officebridge.quality.spec import resolve_schema_path  # noqa: PLC0415

    text = path.read_text(encoding="utf-8", errors="replace")
    values = [line.split(":", 1)[1].split(" #", 1)[0] for line in text.splitlines()
              if line.startswith("record_schema:")]  # fmt: skip
    names = [value.strip().strip("'\"") for value in values]
    return [p for name in names if name for p in resolve_schema_path(name, str(path))]


def _key(path: Path) -> str:
    digest = hashlib.sha256(_code_digest())
    digest.update(_stamp(path))
    for schema in _schema_files(path):
        digest.update(_stamp(schema))
    return digest.hexdigest()


def cache_dir() -> Path | None:
    """The on-disk cache folder, created private; None when it is not safely ours."""
    configured = os.environ.get("OFFICEBRIDGE_DAG_CACHE")
    folder = Path(configured) if configured else settings.home() / "dag-cache"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = folder.stat()
    except OSError:
        return None
    if st.st_uid != os.getuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return None
    return folder


def _read(entry: Path) -> Any:
    try:
        st = entry.stat()
        if st.st_uid != os.getuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return None
        with entry.open("rb") as fh:
            return pickle.load(fh)  # our own private file (module docstring)
    except Exception:  # a broken entry is a miss, never an error
        return None


def _write(folder: Path, key: str, mapping: Any) -> None:
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".entry-")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(mapping, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, folder / key)
    except Exception:  # a cache that cannot be written is only slower
        return


def checked_mapping(path: Path) -> Any:
    """`load_mapping(path)`, from the cache when the file and what it was checked from are unchanged."""
    from officebridge.mapping import load_mapping  # noqa: PLC0415 - YAML checks only, no connector

    path = path.resolve()
    key = _key(path)  # taken before loading: a change while loading makes the next parse miss
    held = _memo.get(str(path))
    if held is not None and held[0] == key:
        return held[1]
    folder = cache_dir()
    mapping = _read(folder / key) if folder is not None else None
    if mapping is None or Path(str(getattr(mapping, "file", ""))).resolve() != path:
        mapping = load_mapping(path)  # raises MappingError: never cached
        if folder is not None:
            _write(folder, key, mapping)
    _memo[str(path)] = (key, mapping)
    return mapping
