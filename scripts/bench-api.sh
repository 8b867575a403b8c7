#!/usr/bin/env bash
# Load on the JSON API from a second process (wrk, 32 connections): GET
# /api/v1/me with a valid key against the unauthenticated /healthz of the same
# server (both one database round trip), on SQLite and on PostgreSQL, reported
# as ratios of the same run. Target: the authenticated endpoint keeps at least
# 60 % of the baseline's throughput.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

port="${BENCH_API_PORT:-3210}"
seconds="${BENCH_SECONDS:-10}"
connections=32
base="http://127.0.0.1:$port"
results_dir=bench-results
mkdir -p "$results_dir"
trap stop_server EXIT

bench() {
  local label=$1 database_url=$2 slug=$3 cookie token
  # The bench measures the key check, not the refusal: a quota wrk cannot reach.
  start_server "$port" "$database_url" API_RATE_LIMIT_PER_MINUTE=10000000
  cookie=$(sign_up "$base" "Bench User" "perf@example.com")
  token=$(create_key "$base" "$cookie" bench read)

  local h_rps h_p50 h_p99 m_rps m_p50 m_p99
  read -r h_rps h_p50 h_p99 < <(wrk_run "healthz-$slug" "$base/healthz")
  read -r m_rps m_p50 m_p99 < <(wrk_run "api-me-$slug" "$base/api/v1/me" -H "Authorization: Bearer $token")
  printf '\n/api/v1/me vs /healthz on %s: %s connections, %ss each\n' "$label" "$connections" "$seconds"
  printf '%-32s %12s %10s %10s\n' "target" "req/s" "p50 ms" "p99 ms"
  printf '%-32s %12s %10s %10s\n' "GET /healthz (baseline)" "$h_rps" "$h_p50" "$h_p99"
  printf '%-32s %12s %10s %10s\n' "GET /api/v1/me (Bearer key)" "$m_rps" "$m_p50" "$m_p99"
  awk -v m="$m_rps" -v h="$h_rps" -v m99="$m_p99" -v h99="$h_p99" \
    'BEGIN { r = m / h; printf "ratio me/healthz: throughput %.3f (target >= 0.60: %s), p99 latency %.2fx\n", r, (r >= 0.6 ? "met" : "MISSED"), m99 / h99 }'
  stop_server
}

bench "SQLite" "" sqlite
new_postgres_database "ss_bench_$$"
bench "PostgreSQL" "$pg_url" postgres
