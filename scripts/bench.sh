#!/usr/bin/env bash
# Load on the release server from a second process (wrk, 32 connections):
# the signed-in /settings/security page against a static file of the same
# size served by the same server, reported as ratios of the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

port="${BENCH_PORT:-3200}"
seconds="${BENCH_SECONDS:-10}"
connections=32
base="http://127.0.0.1:$port"
static_name="bench-static-$$.html"
results_dir=bench-results
mkdir -p "$results_dir"

cleanup() {
  stop_server
  rm -f "target/site/$static_name"
}
trap cleanup EXIT

start_server "$port" ""
cookie=$(sign_up "$base" "Bench User" "perf@example.com")

page_bytes=$(curl -fs -H "Cookie: $cookie" "$base/settings/security" | wc -c)
head -c "$page_bytes" /dev/zero | tr '\0' 'x' > "target/site/$static_name"
static_bytes=$(curl -fs "$base/$static_name" | wc -c)

read -r page_rps page_p50 page_p99 < <(wrk_run page "$base/settings/security" -H "Cookie: $cookie")
read -r static_rps static_p50 static_p99 < <(wrk_run static "$base/$static_name")

printf '\nStatusStack bench: %s connections, %ss per target, page %s bytes, static %s bytes\n' \
  "$connections" "$seconds" "$page_bytes" "$static_bytes"
printf '%-28s %12s %10s %10s\n' "target" "req/s" "p50 ms" "p99 ms"
printf '%-28s %12s %10s %10s\n' "static file (baseline)" "$static_rps" "$static_p50" "$static_p99"
printf '%-28s %12s %10s %10s\n' "signed-in /settings/security" "$page_rps" "$page_p50" "$page_p99"
awk -v pr="$page_rps" -v sr="$static_rps" -v p50="$page_p50" -v s50="$static_p50" -v p99="$page_p99" -v s99="$static_p99" \
  'BEGIN { printf "ratios page/static: throughput %.3f, p50 latency %.2fx, p99 latency %.2fx\n", pr / sr, p50 / s50, p99 / s99 }'
