#!/usr/bin/env bash
# `make airflow`: Airflow standalone (scheduler, DAG processor, API server, triggerer) on the shipped syncs,
# with the sandboxes. Sign in as admin (the password file is printed below), then "Syncs" in the menu.
#
# Ports: OFFICEBRIDGE_PORTS="airflow=9080 salesforce=9443 odoo=9069" (any subset; defaults 8080 and the
# sandboxes' own). Everything binds to 127.0.0.1, except Airflow's worker log server, which Airflow binds
# to every interface (no setting changes that; its port is [logging] worker_log_server_port).
set -euo pipefail
cd "$(dirname "$0")/.."
export AIRFLOW_HOME="$PWD"
export OFFICEBRIDGE_HOME="${OFFICEBRIDGE_HOME:-$PWD/var}"
BIN="$PWD/.venv/bin"
export PATH="$BIN:$PATH"   # airflow standalone starts its parts as `airflow ...` from PATH

port=8080
sandbox_ports=()
for spec in ${OFFICEBRIDGE_PORTS:-}; do
  case "$spec" in
    airflow=*) port="${spec#airflow=}" ;;
    *=*) sandbox_ports+=(--port "$spec") ;;
    *) echo "OFFICEBRIDGE_PORTS: expected SYSTEM=PORT, got '$spec'" >&2; exit 1 ;;
  esac
done
case "$port" in ''|*[!0-9]*) echo "OFFICEBRIDGE_PORTS: airflow=$port is not a port number" >&2; exit 1 ;; esac
if ! "$BIN/python" -c "import socket, sys; sys.exit(socket.socket().connect_ex(('127.0.0.1', $port)) == 0)"; then
  echo "port $port on 127.0.0.1 is taken; choose another with OFFICEBRIDGE_PORTS=airflow=PORT" >&2; exit 1
fi
export AIRFLOW__API__HOST=127.0.0.1 AIRFLOW__API__PORT="$port"
export AIRFLOW__API__BASE_URL="http://127.0.0.1:$port"
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:$port/execution/"

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

"$BIN/officebridge" sandbox up ${sandbox_ports[@]+"${sandbox_ports[@]}"}
# shellcheck disable=SC1091
. "$OFFICEBRIDGE_HOME/sandbox.env"
"$BIN/python" -m officebridge.airflow.stubs
"$BIN/airflow" db migrate >/dev/null
passwords="$("$BIN/airflow" config get-value core simple_auth_manager_passwords_file)"
echo "Airflow UI: http://127.0.0.1:$port  users: admin, ops  passwords: $passwords (written at first start)"
echo "The sync DAGs start paused: unpause them in the UI, or trigger one with: $BIN/airflow dags trigger sync__salesforce_account_to_odoo"
exec "$BIN/airflow" standalone
