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

# What a first visit downloads: the page as a typed address gets it, and
# every file under /pkg it names, as a browser asks for them (brotli, gzip).
first_load() {
  local total=0 bytes asset
  bytes=$(curl -fs -o /dev/null -w '%{size_download}' -H "Cookie: $cookie" -H 'Sec-Fetch-Site: none' \
    -H 'Accept-Encoding: br, gzip' "$base/settings/security")
  printf '%-44s %10s\n' "/settings/security (HTML)" "$bytes"
  total=$((total + bytes))
  for asset in $(curl -fs -H "Cookie: $cookie" "$base/settings/security" | grep -o '/pkg/[A-Za-z0-9_.-]*' | sort -u); do
    bytes=$(curl -fs -o /dev/null -w '%{size_download}' -H 'Accept-Encoding: br, gzip' "$base$asset")
    printf '%-44s %10s\n' "$asset" "$bytes"
    total=$((total + bytes))
    case "$asset" in *.wasm) wasm_raw=$(curl -fs "$base$asset" | wc -c) ;; esac
  done
  printf '%-44s %10s  (target 300000)\n' "first load, transferred" "$total"
  printf '%-44s %10s  (target 1000000)\n' "Wasm, uncompressed" "${wasm_raw:-?}"
}
printf '\nFirst load of the signed-in /settings/security, bytes on the wire\n'
first_load

read -r page_rps page_p50 page_p99 < <(wrk_run page "$base/settings/security" -H "Cookie: $cookie")
read -r static_rps static_p50 static_p99 < <(wrk_run static "$base/$static_name")

printf '\nStatusStack bench: %s connections, %ss per target, page %s bytes, static %s bytes\n' \
  "$connections" "$seconds" "$page_bytes" "$static_bytes"
printf '%-28s %12s %10s %10s\n' "target" "req/s" "p50 ms" "p99 ms"
printf '%-28s %12s %10s %10s\n' "static file (baseline)" "$static_rps" "$static_p50" "$static_p99"
printf '%-28s %12s %10s %10s\n' "signed-in /settings/security" "$page_rps" "$page_p50" "$page_p99"
awk -v pr="$page_rps" -v sr="$static_rps" -v p50="$page_p50" -v s50="$static_p50" -v p99="$page_p99" -v s99="$static_p99" \
  'BEGIN { printf "ratios page/static: throughput %.3f, p50 latency %.2fx, p99 latency %.2fx\n", pr / sr, p50 / s50, p99 / s99 }'
