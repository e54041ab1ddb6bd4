"""Where officebridge keeps its files, from the environment, with sane defaults."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """$OFFICEBRIDGE_HOME, or ./var: the state DB, sandbox data and sandbox.env live here."""
    return Path(os.environ.get("OFFICEBRIDGE_HOME") or "var").resolve()


def mappings_dir() -> Path:
    return Path(os.environ.get("OFFICEBRIDGE_MAPPINGS") or "mappings").resolve()
