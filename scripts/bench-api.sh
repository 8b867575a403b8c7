#!/usr/bin/env bash
# Load on the JSON API from a second process (wrk, 32 connections): GET
# /api/v1/me with a valid key against the unauthenticated /healthz of the same
# server (both one database round trip), on SQLite and on PostgreSQL, reported
# as ratios of the same run. Target: the authenticated endpoint keeps at least
# 60 % of the baseline's throughput.
set -euo pipefail
cd "$(dirname "$0")/.."

port="${BENCH_API_PORT:-3210}"
seconds="${BENCH_SECONDS:-10}"
connections=32
base="http://127.0.0.1:$port"
results_dir=bench-results
postgres_admin="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
mkdir -p "$results_dir"

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

to_ms() {
  awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.3f", v }'
}

run() {
  local name=$1 url=$2
  shift 2
  wrk -t2 -c"$connections" -d2s "$@" "$url" >/dev/null
  wrk -t2 -c"$connections" -d"${seconds}s" --latency "$@" "$url" > "$results_dir/$name.txt"
  local rps p50 p99 non2xx
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$results_dir/$name.txt")
  p50=$(awk '$1 == "50%" { print $2 }' "$results_dir/$name.txt" | to_ms)
  p99=$(awk '$1 == "99%" { print $2 }' "$results_dir/$name.txt" | to_ms)
  non2xx=$(awk '/Non-2xx/ { print $NF }' "$results_dir/$name.txt")
  if [ -n "$non2xx" ]; then
    echo "bench: $name had $non2xx non-2xx responses" >&2
    exit 1
  fi
  echo "$rps $p50 $p99"
}

bench() {
  local label=$1 database_url=$2 slug=$3
  data_dir=$(mktemp -d)
  # The bench measures the key check, not the refusal: a quota wrk cannot reach.
  DATABASE_URL="${database_url:-sqlite://$data_dir/bench.db?mode=rwc}" DATA_DIR="$data_dir" \
    BIND_ADDR="127.0.0.1:$port" SITE_ROOT=target/site LOG_LEVEL=warn \
    API_RATE_LIMIT_PER_MINUTE=10000000 target/release/statusstack &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -fs "$base/healthz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  local cookie token
  cookie=$(curl -fs -D - -o /dev/null -H "Origin: $base" -H "Accept: application/json" \
    --data-urlencode "name=Bench User" --data-urlencode "email=perf@example.com" \
    --data-urlencode "password=quantum marmalade orbits silently" "$base/api/sign_up" |
    tr -d '\r' | awk -F'[:;] *' 'tolower($1) == "set-cookie" && $2 ~ /^ss_session=/ { print $2 }')
  token=$(curl -fs -H "Origin: $base" -H "Accept: application/json" -H "Cookie: $cookie" \
    --data-urlencode "name=bench" --data-urlencode "permission=read" \
    --data-urlencode "expiry=30" "$base/api/create_api_key" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')

  local h_rps h_p50 h_p99 m_rps m_p50 m_p99
  read -r h_rps h_p50 h_p99 < <(run "healthz-$slug" "$base/healthz")
  read -r m_rps m_p50 m_p99 < <(run "api-me-$slug" "$base/api/v1/me" -H "Authorization: Bearer $token")
  printf '\n/api/v1/me vs /healthz on %s: %s connections, %ss each\n' "$label" "$connections" "$seconds"
  printf '%-32s %12s %10s %10s\n' "target" "req/s" "p50 ms" "p99 ms"
  printf '%-32s %12s %10s %10s\n' "GET /healthz (baseline)" "$h_rps" "$h_p50" "$h_p99"
  printf '%-32s %12s %10s %10s\n' "GET /api/v1/me (Bearer key)" "$m_rps" "$m_p50" "$m_p99"
  awk -v m="$m_rps" -v h="$h_rps" -v m99="$m_p99" -v h99="$h_p99" \
    'BEGIN { r = m / h; printf "ratio me/healthz: throughput %.3f (target >= 0.60: %s), p99 latency %.2fx\n", r, (r >= 0.6 ? "met" : "MISSED"), m99 / h99 }'
  cleanup
}

bench "SQLite" "" sqlite
pg_database="ss_bench_$$"
psql "$postgres_admin" -qtAc "CREATE DATABASE $pg_database" >/dev/null
bench "PostgreSQL" "${postgres_admin%/*}/$pg_database" postgres
