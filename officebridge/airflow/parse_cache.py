"""What a DAG file builds from its mapping, kept between parses while nothing it came from changed.

Airflow's DAG processor parses every DAG file again every few dozen seconds, each
time in a fresh process, and the mapping behind a file rarely changes. Loading
it (YAML, the mapping schema, the record schema) and then building its two DAGs
(seven operators: Airflow's own `apply_defaults`, signature inspection and
Param checks, 4 ms a mapping) were the whole parse. So two things are kept,
each entry on its own, so that an edit to one mapping rebuilds that one alone:

- the checked `Mapping` (`checked_mapping`), for a DAG that must be built again;
- the two built DAGs (`built_dags`), pickled: unpickling them is about seven
  times cheaper than building them (benchmarks/airflow.py measures it).

Both in this process, for a file parsed again in it (tests, `dags test`), and
on disk, for the next process: `$OFFICEBRIDGE_DAG_CACHE`, else
`$OFFICEBRIDGE_HOME/dag-cache` (created 0700). An entry is named by a digest of
the mapping file's path and content, of its record schema file(s), of
officebridge's own code and the connector manifests next to it (names, sizes,
mtimes), of the site-packages folders (a
`pip install` re-checks everything) and, for DAGs, of the Airflow and Python
versions and `$OFFICEBRIDGE_POOLS`. Any mismatch, a missing or unreadable entry,
or a cache folder that another user could write to (pickle runs code: it must
be ours alone) means "load the file as before". Mappings with problems are
never cached, so their errors show on every parse. `schedule.on` upstream
checks run on every parse (the folder around the file may change).
"""

from __future__ import annotations

import hashlib
import importlib
import io
import os
import pickle
import site
import stat
import sys
import tempfile
import types
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from officebridge import settings

_VERSION = b"officebridge-dag-cache-2"
_memo: dict[str, tuple[str, Any]] = {}
_dag_memo: dict[str, tuple[str, bytes]] = {}  # path -> (key, pickled BuiltDags)


@dataclass(frozen=True)
class BuiltDags:
    """A mapping's two DAGs and what the per-parse upstream check needs of the mapping."""

    sync: str
    runs_after: str | None
    file: str
    dags: tuple[Any, Any]


def _stamp(path: Path) -> bytes:
    try:
        st = path.stat()
    except OSError:
        return f"{path}:missing".encode()
    return f"{path}:{st.st_size}:{st.st_mtime_ns}".encode()


def _content(path: Path) -> bytes:
    """A file by what it holds: an edit within one mtime tick, keeping the size, is still seen."""
    try:
        return f"{path}:".encode() + hashlib.sha256(path.read_bytes()).digest()
    except OSError:
        return f"{path}:missing".encode()


@cache
def _code_digest() -> bytes:
    """What the checks and DAGs are made of: officebridge's modules, the connector manifests beside
    them (the capability checks read them), the installed packages."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256(_VERSION)
    sources = []
    for folder, dirs, files in os.walk(package):  # os.walk: a third of rglob's time
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        sources += [os.path.join(folder, f) for f in files if f.endswith(".py")]
    for source in sorted(sources):
        digest.update(_stamp(Path(source)))
    for manifest in sorted(package.parent.glob("connectors/*/manifest.py")):
        digest.update(_stamp(manifest))
    for folder in sorted(set(site.getsitepackages())):
        digest.update(_stamp(Path(folder)))  # a package installed, removed or upgraded there
    return digest.digest()


def _schema_files(path: Path, text: str) -> list[Path]:
    """Where the mapping's record schema may come from (every candidate: a new one found first counts)."""
    from officebridge.quality.spec import resolve_schema_path  # noqa: PLC0415

    values = [line.split(":", 1)[1].split(" #", 1)[0] for line in text.splitlines()
              if line.startswith("record_schema:")]  # fmt: skip
    names = [value.strip().strip("'\"") for value in values]
    return [p for name in names if name for p in resolve_schema_path(name, str(path))]


def _key(path: Path) -> str:
    digest = hashlib.sha256(_code_digest())
    try:
        data = path.read_bytes()
    except OSError:
        data = b""  # the load that follows says what is wrong with the file
    digest.update(f"{path}:".encode() + hashlib.sha256(data).digest())
    for schema in _schema_files(path, data.decode("utf-8", errors="replace")):
        digest.update(_content(schema))
    return digest.hexdigest()


def _dag_key(mapping_key: str) -> str:
    """The mapping's key, and what else goes into its DAGs: Airflow, Python, the pools setting."""
    import airflow  # noqa: PLC0415 - imported already: the DAG processor is Airflow

    digest = hashlib.sha256(b"dags:" + mapping_key.encode())
    digest.update(f"{airflow.__version__}:{sys.version}:{os.environ.get('OFFICEBRIDGE_POOLS', '')}".encode())
    return "dags-" + digest.hexdigest()


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
    data = _read_bytes(entry)
    return None if data is None else _loads(data)


def _read_bytes(entry: Path) -> bytes | None:
    try:
        st = entry.stat()
        if st.st_uid != os.getuid() or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return None
        return entry.read_bytes()  # our own private file (module docstring)
    except OSError:  # a missing or unreadable entry is a miss, never an error
        return None


def _write(folder: Path, key: str, value: Any) -> bytes | None:
    """Store `value` under `key`; returns its pickle (None when it cannot be pickled or written)."""
    try:
        data = _dumps(value)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".entry-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, folder / key)
        return data
    except Exception:  # a cache that cannot be written is only slower
        return None


# Airflow compares some module-level objects by identity (`expand_input is EXPAND_INPUT_EMPTY`, `is
# NOTSET`); a plain pickle would hand back equal copies and a mapped task would fail to run. Those are
# pickled by name and come back as the very objects of this process.
_BY_NAME_PREFIX = "airflow."
_VALUES = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, str, bytes, int, float,
           bool, tuple, frozenset, type(None))  # fmt: skip


_scanned: set[str] = set()  # modules looked at (Airflow's have their objects in _named)
_named: dict[int, tuple[str, str]] = {}


def _module_objects() -> dict[int, tuple[str, str]]:
    """Airflow's module-level objects by id; each module is scanned once, when first seen here.

    Only the modules imported since the last call are looked at (a set difference, in C): walking all
    of sys.modules' few thousand names on every dump was a seventh of a first parse.
    """
    for name in sys.modules.keys() - _scanned:
        module = sys.modules.get(name)
        if module is None:
            continue  # a failed or blocked import: looked at again once it is a module
        _scanned.add(name)
        if not (name + ".").startswith(_BY_NAME_PREFIX):
            continue
        for attr, value in list(vars(module).items()):
            if not isinstance(value, _VALUES):
                _named.setdefault(id(value), (name, attr))
    return _named


def _dumps(value: Any) -> bytes:
    named = _module_objects()

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj: Any) -> tuple[str, str] | None:
            where = named.get(id(obj))
            if where is None or getattr(sys.modules.get(where[0]), where[1], None) is not obj:
                return None  # not (or no longer) that module's object: an id can be reused
            return where

    buffer = io.BytesIO()
    Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


def _loads(data: bytes) -> Any:
    class Unpickler(pickle.Unpickler):
        def persistent_load(self, pid: Any) -> Any:
            module, attr = pid
            if not (str(module) + ".").startswith(_BY_NAME_PREFIX):
                raise pickle.UnpicklingError(f"not an Airflow object: {module}")
            return getattr(importlib.import_module(str(module)), str(attr))

    try:
        return Unpickler(io.BytesIO(data)).load()
    except Exception:  # a broken or outdated entry is a miss, never an error
        return None


def built_dags(path: Path, build: Callable[[Any], tuple[Any, Any]]) -> BuiltDags:
    """`build(checked mapping)`, from the cache when the mapping and everything the DAGs came from are
    unchanged. A mapping with problems raises MappingError, as `checked_mapping` does.

    Every call returns new DAG objects (unpickled), even within one process: a DagBag sets the file
    location and load time on the DAGs it holds, and two bags must not share them.
    """
    path = path.resolve()
    mapping_key = _key(path)  # taken before building: a change while building makes the next parse miss
    key = _dag_key(mapping_key)
    held = _dag_memo.get(str(path))
    folder = cache_dir()
    data = held[1] if held is not None and held[0] == key else None
    if data is None and folder is not None:
        data = _read_bytes(folder / key)
    built = _loads(data) if data is not None else None
    if data is not None and isinstance(built, BuiltDags) and Path(built.file).resolve() == path:
        _dag_memo[str(path)] = (key, data)
        return built
    mapping = checked_mapping(path, mapping_key)
    built = BuiltDags(mapping.name, mapping.runs_after, str(mapping.file), build(mapping))
    data = _write(folder, key, built) if folder is not None else None
    if data is not None:
        _dag_memo[str(path)] = (key, data)
    return built


def checked_mapping(path: Path, key: str | None = None) -> Any:
    """`load_mapping(path)`, from the cache when the file and what it was checked from are unchanged."""
    from officebridge.mapping import load_mapping  # noqa: PLC0415 - YAML checks only, no connector

    path = path.resolve()
    key = key or _key(path)  # taken before loading: a change while loading makes the next parse miss
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
