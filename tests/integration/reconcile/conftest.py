"""Both sandboxes and a state store, as the sync tests have them; real Airflow for the DAG test (shared)."""

from tests.e2e.airflow.conftest import airflow_home, dag_test  # noqa: F401 - fixtures
from tests.integration.sync.conftest import bridge, bridge_any_store, bridge_on  # noqa: F401 - fixtures
