#!/usr/bin/env bash
# Every test layer, in order, stopping at the first failing one:
# unit + integration (SQLite and PostgreSQL), API fuzzing, then end-to-end in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

echo "== unit and integration tests (SQLite and PostgreSQL)"
# Bounded, so a hang fails here with a message instead of running out CI's clock.
# SIGKILL a minute after the SIGTERM: the test servers in the test process
# handle SIGTERM as a graceful shutdown, so SIGTERM alone does not end it.
if ! timeout --kill-after=60s 45m cargo test --features ssr --lib --test integration 2>&1 | tee "$logs/rust.log"; then
  echo "make test: the Rust tests failed or did not finish within 45 minutes" >&2
  exit 1
fi

echo "== release build for the end-to-end tests"
scripts/build.sh

echo "== API fuzzing (schemathesis against /api/v1/openapi.json, SQLite and PostgreSQL)"
scripts/fuzz-api.sh 2>&1 | tee "$logs/fuzz.log"

echo "== end-to-end tests (Playwright, Chromium)"
npx playwright test --config end2end/playwright.config.ts 2>&1 | tee "$logs/e2e.log"

rust_passed=$(awk '/^test result:/ { for (i = 1; i <= NF; i++) if ($i ~ /^passed/) s += $(i - 1) } END { print s + 0 }' "$logs/rust.log")
rust_failed=$(awk '/^test result:/ { for (i = 1; i <= NF; i++) if ($i ~ /^failed/) s += $(i - 1) } END { print s + 0 }' "$logs/rust.log")
e2e_passed=$(awk '$2 == "passed" && $1 ~ /^[0-9]+$/ { s += $1 } END { print s + 0 }' "$logs/e2e.log")
e2e_failed=$(awk '$2 == "failed" && $1 ~ /^[0-9]+$/ { s += $1 } END { print s + 0 }' "$logs/e2e.log")
fuzz_cases=$(awk '/generated, .* passed/ { s += $1 } END { print s + 0 }' "$logs/fuzz.log")
echo
echo "api fuzzing: $fuzz_cases generated cases passed (schemathesis, both databases)"
echo "rust: $rust_passed passed, $rust_failed failed; end2end: $e2e_passed passed, $e2e_failed failed"
echo "total: $((rust_passed + e2e_passed)) passed, $((rust_failed + e2e_failed)) failed"
