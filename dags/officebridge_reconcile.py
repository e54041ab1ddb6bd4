"""The daily Airflow DAGs `reconcile__<sync>`, one per mapping file (officebridge.reconcile.dag).

Cheap to parse: YAML checks through the parse cache, one task per DAG; the
systems are read only when a reconciliation runs.
"""

from officebridge.reconcile.dag import reconcile_dags

globals().update(reconcile_dags(__file__))
