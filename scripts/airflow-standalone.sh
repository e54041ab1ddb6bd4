#!/usr/bin/env bash
# `make airflow`: Airflow standalone (scheduler, API server, UI) on the shipped syncs, with both sandboxes.
# Open http://127.0.0.1:8080, sign in as admin (the password is printed below), then "Syncs" in the menu.
set -euo pipefail
cd "$(dirname "$0")/.."
export AIRFLOW_HOME="$PWD"
export OFFICEBRIDGE_HOME="${OFFICEBRIDGE_HOME:-$PWD/var}"
BIN="$PWD/.venv/bin"
export PATH="$BIN:$PATH"   # airflow standalone starts its parts as `airflow ...` from PATH
"$BIN/officebridge" sandbox up
# shellcheck disable=SC1091
. "$OFFICEBRIDGE_HOME/sandbox.env"
"$BIN/python" -m officebridge.airflow.stubs
"$BIN/airflow" db migrate >/dev/null
passwords="$AIRFLOW_HOME/var/airflow/simple_auth_manager_passwords.json.generated"
echo "Airflow UI: http://127.0.0.1:8080  users: admin, ops  passwords: $passwords (written at first start)"
echo "The sync DAGs start paused: unpause them in the UI, or trigger one with: $BIN/airflow dags trigger sync__salesforce_account_to_odoo"
exec "$BIN/airflow" standalone
