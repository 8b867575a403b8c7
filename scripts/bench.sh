#!/usr/bin/env bash
# Load on the release server from a second process (wrk, 32 connections):
# the signed-in /settings/security page against a static file of the same
# size served by the same server, reported as ratios of the same run.
set -euo pipefail
cd "$(dirname "$0")/.."

port="${BENCH_PORT:-3200}"
seconds="${BENCH_SECONDS:-10}"
connections=32
base="http://127.0.0.1:$port"
data_dir=$(mktemp -d)
static_name="bench-static-$$.html"
results_dir=bench-results
mkdir -p "$results_dir"

SITE_ROOT=target/site DATA_DIR="$data_dir" BIND_ADDR="127.0.0.1:$port" LOG_LEVEL=warn \
  target/release/statusstack &
server_pid=$!
cleanup() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  rm -rf "$data_dir" "target/site/$static_name"
}
trap cleanup EXIT

for _ in $(seq 1 50); do
  curl -fs "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done

password="quantum marmalade orbits silently"
cookie=$(curl -fs -D - -o /dev/null -H "Origin: $base" -H "Accept: application/json" \
  --data-urlencode "name=Bench User" --data-urlencode "email=perf@example.com" \
  --data-urlencode "password=$password" "$base/api/sign_up" |
  tr -d '\r' | awk -F'[:;] *' 'tolower($1) == "set-cookie" && $2 ~ /^ss_session=/ { print $2 }')
if [ -z "$cookie" ]; then
  echo "bench: could not sign the bench user in" >&2
  exit 1
fi

page_bytes=$(curl -fs -H "Cookie: $cookie" "$base/settings/security" | wc -c)
head -c "$page_bytes" /dev/zero | tr '\0' 'x' > "target/site/$static_name"
static_bytes=$(curl -fs "$base/$static_name" | wc -c)

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

read -r page_rps page_p50 page_p99 < <(run page "$base/settings/security" -H "Cookie: $cookie")
read -r static_rps static_p50 static_p99 < <(run static "$base/$static_name")

printf '\nStatusStack bench: %s connections, %ss per target, page %s bytes, static %s bytes\n' \
  "$connections" "$seconds" "$page_bytes" "$static_bytes"
printf '%-28s %12s %10s %10s\n' "target" "req/s" "p50 ms" "p99 ms"
printf '%-28s %12s %10s %10s\n' "static file (baseline)" "$static_rps" "$static_p50" "$static_p99"
printf '%-28s %12s %10s %10s\n' "signed-in /settings/security" "$page_rps" "$page_p50" "$page_p99"
awk -v pr="$page_rps" -v sr="$static_rps" -v p50="$page_p50" -v s50="$static_p50" -v p99="$page_p99" -v s99="$static_p99" \
  'BEGIN { printf "ratios page/static: throughput %.3f, p50 latency %.2fx, p99 latency %.2fx\n", pr / sr, p50 / s50, p99 / s99 }'
