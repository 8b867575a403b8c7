# Shared by the scripts that run the release server and load it (bench.sh,
# bench-api.sh, fuzz-api.sh). Source it; it defines functions only, plus the
# state `stop_server` cleans up: server_pid, data_dir and pg_database.

server_pid=""
data_dir=""
pg_database=""
postgres_admin="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
bench_password="quantum marmalade orbits silently"

# start_server PORT DATABASE_URL [VAR=value ...]: the release server on a fresh
# data directory (SQLite in it when DATABASE_URL is empty), extra settings as
# environment assignments; waits until /healthz answers.
start_server() {
  local port=$1 database_url=$2
  shift 2
  data_dir=$(mktemp -d)
  env DATABASE_URL="${database_url:-sqlite://$data_dir/statusstack.db?mode=rwc}" DATA_DIR="$data_dir" \
    BIND_ADDR="127.0.0.1:$port" SITE_ROOT=target/site LOG_LEVEL=warn "$@" \
    "${SERVER_BIN:-target/release/statusstack}" &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "the server on port $port did not come up" >&2
  return 1
}

# stop_server: stops the server and removes its data directory and database.
stop_server() {
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

# new_postgres_database NAME: creates it and sets pg_url to it; stop_server
# drops it. Call it directly, not in $(...): the name must reach stop_server.
new_postgres_database() {
  pg_database=$1
  psql "$postgres_admin" -qtAc "CREATE DATABASE $pg_database" >/dev/null
  pg_url="${postgres_admin%/*}/$pg_database"
}

# sign_up BASE NAME EMAIL: creates an account, confirms its address with the
# link the server wrote to its outbox, signs in and prints the session
# cookie (name=value).
sign_up() {
  local base=$1 name=$2 email=$3 token cookie
  curl -fs -o /dev/null -H "Origin: $base" -H "Accept: application/json" \
    --data-urlencode "name=$name" --data-urlencode "email=$email" \
    --data-urlencode "password=$bench_password" "$base/api/sign_up"
  token=$(outbox_link_token "$email" /verify-email)
  curl -fs -o /dev/null -H "Origin: $base" -H "Accept: application/json" \
    --data-urlencode "token=$token" "$base/api/confirm_email_address"
  cookie=$(sign_in "$base" "$email")
  if [ -z "$cookie" ]; then
    echo "could not sign up $email" >&2
    return 1
  fi
  echo "$cookie"
}

# sign_in BASE EMAIL: signs in with the bench password; prints the session cookie.
sign_in() {
  local base=$1 email=$2
  curl -fs -D - -o /dev/null -H "Origin: $base" -H "Accept: application/json" \
    --data-urlencode "email=$email" --data-urlencode "password=$bench_password" \
    "$base/api/sign_in" |
    tr -d '\r' | awk -F'[:;] *' 'tolower($1) == "set-cookie" && $2 ~ /^ss_session=/ { print $2 }'
}

# outbox_link_token EMAIL PATH: the token of the newest link to PATH in the
# mail the server wrote to $data_dir/outbox for EMAIL (waits up to 10 s).
outbox_link_token() {
  local email=$1 path=$2
  python3 - "$data_dir/outbox" "$email" "$path" <<'PY'
import email, email.policy, pathlib, re, sys, time
outbox, to, path = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3]
for _ in range(100):
    found = []
    for file in outbox.glob("*.eml") if outbox.exists() else []:
        message = email.message_from_bytes(file.read_bytes(), policy=email.policy.default)
        if message["To"] == to:
            text = message.get_body(("plain",)).get_content()
            match = re.search(re.escape(path) + r"\?token=([A-Za-z0-9_-]+)", text)
            if match:
                found.append((file.stat().st_mtime, match.group(1)))
    if found:
        print(max(found)[1])
        sys.exit(0)
    time.sleep(0.1)
sys.exit(f"no {path} link for {to} in {outbox}")
PY
}

# create_key BASE COOKIE NAME PERMISSION: prints the new key's token. Right
# after sign-up the session is in sudo mode, so an Admin key needs no password.
create_key() {
  local base=$1 cookie=$2 name=$3 permission=$4
  curl -fs -H "Origin: $base" -H "Accept: application/json" -H "Cookie: $cookie" \
    --data-urlencode "name=$name" --data-urlencode "permission=$permission" \
    --data-urlencode "expiry=30" "$base/api/create_api_key" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}

# to_ms: wrk's latency ("850.00us", "1.20ms", "2.1s") in milliseconds.
to_ms() {
  awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 } printf "%.3f", v }'
}

# wrk_run NAME URL [wrk options]: a 2 s warm-up, then $seconds s with
# $connections connections into $results_dir/NAME.txt; prints "req/s p50 p99"
# and fails on any non-2xx answer.
wrk_run() {
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
    return 1
  fi
  echo "$rps $p50 $p99"
}
