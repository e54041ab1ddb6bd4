"""The officebridge DAG folder's index: every mapping has its DAG file here, and no more.

The DAGs themselves live one per file (dags/sync__<mapping>.py, written by
`python -m officebridge.airflow.stubs`) so that one broken mapping cannot take
the other syncs down. This file defines no DAG: it writes the DAG file of a
new mapping (and removes the file of a deleted one) when it is parsed, and
raises an import error, visible in the Airflow UI, only when it cannot (a
read-only DAG folder).
"""

from pathlib import Path

from officebridge.airflow.dags import mappings_root
from officebridge.airflow.stubs import ensure_stubs
from officebridge.errors import ConfigError

_found = ensure_stubs(Path(__file__).resolve().parent, mappings_root(__file__))
if _found:
    raise ConfigError(f"{_found.describe()}: run `python -m officebridge.airflow.stubs`")
