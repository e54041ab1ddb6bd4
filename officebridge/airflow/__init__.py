"""Airflow glue: one DAG per mapping file, the tasks those DAGs run, the assets they publish.

Nothing here is imported by the engine. `dags` is what a DAG file calls at
parse time and stays light (YAML and the mapping checks, no connector, no
pandas); `tasks` holds what runs inside a task, where the heavy imports
belong; `stubs` keeps one tiny DAG file per mapping in dags/, because Airflow
records import errors (and marks DAGs stale) per DAG file, so one broken
mapping must live in a file of its own.
"""
