#!/usr/bin/env bash
# Property-based fuzzing of the /api/v1 JSON API with schemathesis, driven by
# its own OpenAPI document and an Admin key: no response may be a 5xx, and
# every response must match the document (status, content type, headers, body).
# Runs once on SQLite and once on PostgreSQL.
#   FUZZ_EXAMPLES  examples per operation and phase (default 100)
#   SERVER_BIN     the server binary (default target/release/statusstack)
set -euo pipefail
cd "$(dirname "$0")/.."

examples="${FUZZ_EXAMPLES:-100}"
server_bin="${SERVER_BIN:-target/release/statusstack}"
port="${FUZZ_PORT:-3310}"
base="http://127.0.0.1:$port"
postgres_admin="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
schemathesis=.venv/bin/schemathesis
if [ ! -x "$schemathesis" ]; then
  echo "fuzz: $schemathesis is missing; run scripts/setup.sh --fuzz" >&2
  exit 1
fi

server_pid=""
data_dir=""
pg_database=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
  [ -n "$data_dir" ] && rm -rf "$data_dir"
  data_dir=""
  if [ -n "$pg_database" ]; then
    psql "$postgres_admin" -qtAc "DROP DATABASE IF EXISTS $pg_database WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  pg_database=""
}
trap cleanup EXIT

fuzz() {
  local label=$1 database_url=$2
  data_dir=$(mktemp -d)
  DATABASE_URL="${database_url:-sqlite://$data_dir/fuzz.db?mode=rwc}" DATA_DIR="$data_dir" \
    BIND_ADDR="127.0.0.1:$port" SITE_ROOT=target/site LOG_LEVEL=warn \
    API_RATE_LIMIT_PER_MINUTE=100000 DATABASE_MAX_CONNECTIONS=8 \
    "$server_bin" &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -fs "$base/healthz" >/dev/null 2>&1 && break
    sleep 0.2
  done

  local cookie token
  cookie=$(curl -fs -D - -o /dev/null -H "Origin: $base" -H "Accept: application/json" \
    --data-urlencode "name=Fuzz Admin" --data-urlencode "email=fuzz@example.com" \
    --data-urlencode "password=quantum marmalade orbits silently" "$base/api/sign_up" |
    tr -d '\r' | awk -F'[:;] *' 'tolower($1) == "set-cookie" && $2 ~ /^ss_session=/ { print $2 }')
  if [ -z "$cookie" ]; then
    echo "fuzz ($label): could not sign up the fuzz user" >&2
    exit 1
  fi
  # Right after sign-up the session is in sudo mode, so an Admin key needs no password.
  token=$(curl -fs -H "Origin: $base" -H "Accept: application/json" -H "Cookie: $cookie" \
    --data-urlencode "name=schemathesis" --data-urlencode "permission=admin" \
    --data-urlencode "expiry=30" "$base/api/create_api_key" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')

  echo "== schemathesis on $label ($examples examples per operation)"
  "$schemathesis" run "$base/api/v1/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
    --max-examples "$examples" \
    --request-timeout 10 \
    --seed 20261127 \
    --no-color
  cleanup
}

fuzz "SQLite" ""
pg_database="ss_fuzz_$$"
psql "$postgres_admin" -qtAc "CREATE DATABASE $pg_database" >/dev/null
fuzz "PostgreSQL" "${postgres_admin%/*}/$pg_database"
