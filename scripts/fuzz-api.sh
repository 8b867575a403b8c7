#!/usr/bin/env bash
# Property-based fuzzing of the /api/v1 JSON API with schemathesis, driven by
# its own OpenAPI document and an Admin key: no response may be a 5xx, and
# every response must match the document (status, content type, headers, body).
# Runs once on SQLite and once on PostgreSQL.
#   FUZZ_EXAMPLES  examples per operation and phase (default 100)
#   SERVER_BIN     the server binary (default target/release/statusstack)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

examples="${FUZZ_EXAMPLES:-100}"
port="${FUZZ_PORT:-3310}"
base="http://127.0.0.1:$port"
schemathesis=.venv/bin/schemathesis
if [ ! -x "$schemathesis" ]; then
  echo "fuzz: $schemathesis is missing; run scripts/setup.sh --fuzz" >&2
  exit 1
fi
trap stop_server EXIT

fuzz() {
  local label=$1 database_url=$2 cookie token
  start_server "$port" "$database_url" API_RATE_LIMIT_PER_MINUTE=100000 DATABASE_MAX_CONNECTIONS=8
  cookie=$(sign_up "$base" "Fuzz Admin" "fuzz@example.com")
  token=$(create_key "$base" "$cookie" schemathesis admin)

  echo "== schemathesis on $label ($examples examples per operation)"
  "$schemathesis" run "$base/api/v1/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
    --max-examples "$examples" \
    --request-timeout 10 \
    --seed 20261127 \
    --no-color
  stop_server
}

fuzz "SQLite" ""
new_postgres_database "ss_fuzz_$$"
fuzz "PostgreSQL" "$pg_url"
