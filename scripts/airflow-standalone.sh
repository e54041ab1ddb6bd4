#!/usr/bin/env bash
# `make airflow`: Airflow standalone (scheduler, DAG processor, API server, triggerer) on the shipped syncs,
# with the sandboxes. Sign in as admin (the password file is printed below), then "Syncs" in the menu.
#
# Ports: OFFICEBRIDGE_PORTS="airflow=9080 airflow-logs=9793 airflow-trigger-logs=9794 salesforce=9443 odoo=9069"
# (any subset; parsed in one place, officebridge/cli/ports.py). The API server and the sandboxes bind to
# 127.0.0.1. Airflow's worker and triggerer log servers bind to EVERY interface: Airflow 3.3 has no
# setting for their address (airflow/utils/serve_logs/core.py starts uvicorn with host=""), only for
# their ports. A taken port is refused before anything starts.
set -euo pipefail
cd "$(dirname "$0")/.."
export AIRFLOW_HOME="$PWD"
export OFFICEBRIDGE_HOME="${OFFICEBRIDGE_HOME:-$PWD/var}"
BIN="$PWD/.venv/bin"
export PATH="$BIN:$PATH"   # airflow standalone starts its parts as `airflow ...` from PATH

ports="$("$BIN/python" -m officebridge.cli.ports airflow)" || exit 1
eval "$ports"   # exports AIRFLOW__API__PORT/HOST/BASE_URL, the execution API URL, both log server ports

# The scheduler and the API server must sign and check task tokens with ONE secret: without it each part
# generates its own and every task fails with "Invalid auth token". Generated once, kept private.
secrets="$OFFICEBRIDGE_HOME/airflow-secrets.env"
if [ ! -s "$secrets" ]; then
  mkdir -p "$OFFICEBRIDGE_HOME"
  (umask 077; "$BIN/python" -c "import secrets
print('export AIRFLOW__API_AUTH__JWT_SECRET=' + secrets.token_urlsafe(48))
print('export AIRFLOW__API__SECRET_KEY=' + secrets.token_urlsafe(48))" > "$secrets")
fi
# shellcheck disable=SC1090
. "$secrets"

"$BIN/officebridge" sandbox up >/dev/null   # its ports from OFFICEBRIDGE_PORTS too
"$BIN/python" -m officebridge.airflow.stubs
"$BIN/airflow" db migrate >/dev/null
# The sandbox connections go into Airflow's metadata DB (not AIRFLOW_CONN_* variables), so they show in
# Admin > Connections and an edit made there is the one tasks use; one changed there is never overwritten.
"$BIN/python" -m officebridge.airflow.sandbox_connections
passwords="$("$BIN/airflow" config get-value core simple_auth_manager_passwords_file)"
echo "Airflow UI: $OFFICEBRIDGE_AIRFLOW_URL  users: admin, ops  passwords: $passwords (written at first start)"
echo "The sync DAGs start paused: unpause them in the UI, or trigger one with: $BIN/airflow dags trigger sync__salesforce_account_to_odoo"
exec "$BIN/airflow" standalone
