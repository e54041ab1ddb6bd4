"""The Airflow DAGs `pair__<name>`, one per two-way file in mappings/pairs/ (officebridge.pair.dag)."""

from officebridge.pair.dag import pair_dags

globals().update(pair_dags(__file__))
