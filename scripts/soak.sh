#!/usr/bin/env bash
# `make soak`: ten minutes of mixed traffic at fixed rates against the release
# server on SQLite, from a second process (examples/soak, built in its own
# target directory): signed-in page views, server functions, JSON API calls
# with a key, password sign-ins (argon2) and sign-outs, Login History
# exports. Prints throughput, p50/p99 per kind, errors and the server's RSS
# after warm-up, halfway and at the end; exits non-zero if any request failed.
#   SOAK_SECONDS         measured seconds (default 600)
#   SOAK_WARMUP_SECONDS  unmeasured traffic first (default 30)
#   SOAK_SKIP_BUILD=1    use the server and generator already built in target/
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

export SOAK_SECONDS="${SOAK_SECONDS:-600}"
export SOAK_WARMUP_SECONDS="${SOAK_WARMUP_SECONDS:-30}"
soak_target=target/soak
server_log=""

cleanup() {
  stop_server
  [ -n "$server_log" ] && rm -f "$server_log"
}
trap cleanup EXIT

if [ "${SOAK_SKIP_BUILD:-}" != 1 ]; then
  scripts/build.sh
  # Its own target directory: never rebuilds or replaces the server binary.
  CARGO_TARGET_DIR="$soak_target" cargo build --release --example soak
fi

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
server_log=$(mktemp)
# The keys' quota is not what this measures; every other limit stays as shipped.
if ! start_server "$port" "" PUBLIC_URL="$base" API_RATE_LIMIT_PER_MINUTE=10000000 >"$server_log" 2>&1; then
  tail -n 20 "$server_log" >&2
  exit 1
fi

# The pages must name a Wasm bundle that this build put in target/site/pkg.
wasm=$(curl -fs "$base/login" | grep -o '/pkg/[A-Za-z0-9_.-]*\.wasm' | head -n 1 || true)
if [ -z "$wasm" ] || [ ! -s "target/site$wasm" ] || ! curl -fsI -o /dev/null "$base$wasm"; then
  echo "soak: /login names Wasm '${wasm:-none}', which target/site/pkg lacks; run scripts/build.sh" >&2
  exit 1
fi

status=0
SOAK_BASE_URL="$base" SOAK_OUTBOX="$data_dir/outbox" SOAK_SERVER_PID="$server_pid" \
  "$soak_target/release/examples/soak" || status=$?

# SIGTERM must stop the server cleanly and in bounded time.
kill -TERM "$server_pid"
for _ in $(seq 1 150); do
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.2
done
if kill -0 "$server_pid" 2>/dev/null; then
  echo "soak: the server was still running 30 s after SIGTERM" >&2
  kill -KILL "$server_pid"
  status=1
fi
server_status=0
wait "$server_pid" || server_status=$?
server_pid=""
if [ "$server_status" -ne 0 ]; then
  echo "soak: the server exited with status $server_status after SIGTERM" >&2
  status=1
fi
if grep -q 'panicked' "$server_log"; then
  echo "soak: the server panicked:" >&2
  grep -m 5 -A 3 'panicked' "$server_log" >&2
  status=1
fi
if [ "$status" -ne 0 ]; then
  echo "soak: FAILED (see the errors above)" >&2
else
  echo "soak: passed, 0 errors"
fi
exit "$status"
