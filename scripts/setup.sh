#!/usr/bin/env bash
# Installs what the build and tests need, skipping whatever is already there.
#   scripts/setup.sh            Rust target, cargo-leptos, wasm-bindgen, npm packages
#   scripts/setup.sh --browser  ... plus Debian's Chromium for the end-to-end tests
#   scripts/setup.sh --bench    ... plus wrk for the benchmark
#   scripts/setup.sh --fuzz     ... plus schemathesis (PyPI) in .venv for the API fuzzing
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10
SCHEMATHESIS_VERSION=4.32.5
want_browser=false
want_bench=false
want_fuzz=false
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=true ;;
    --bench) want_bench=true ;;
    --fuzz) want_fuzz=true ;;
    *) echo "setup: unknown option $arg" >&2; exit 2 ;;
  esac
done

export PATH="$HOME/.cargo/bin:$PATH"

if ! command -v cargo >/dev/null; then
  echo "setup: cargo not found; install Rust 1.95 with rustup first" >&2
  exit 1
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  echo "setup: adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  echo "setup: installing cargo-leptos $CARGO_LEPTOS_VERSION (takes about 12 minutes once)"
  # no_downloads: take wasm-bindgen, wasm-opt and tailwind from PATH, never the internet.
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
fi

# The CLI must match the wasm-bindgen crate that Cargo.lock pins.
wasm_bindgen_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
if [ -z "$wasm_bindgen_version" ]; then
  echo "setup: cannot read the wasm-bindgen version from Cargo.lock" >&2
  exit 1
fi
if ! wasm-bindgen --version 2>/dev/null | grep -q " $wasm_bindgen_version\$"; then
  echo "setup: installing wasm-bindgen-cli $wasm_bindgen_version"
  # Without --locked: its lock file names a crate version the registry lacks.
  cargo install wasm-bindgen-cli --version "$wasm_bindgen_version"
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages (Tailwind, wasm-opt, Playwright)"
  npm ci --no-audit --no-fund
fi

apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: need root to apt-get install $*; install them and rerun" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

if $want_browser && [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing Debian's Chromium for the end-to-end tests"
  apt_install chromium
fi

if $want_bench && ! command -v wrk >/dev/null; then
  echo "setup: installing wrk for the benchmark"
  apt_install wrk
fi

if $want_fuzz && ! .venv/bin/schemathesis --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
  echo "setup: installing schemathesis $SCHEMATHESIS_VERSION into .venv for the API fuzzing"
  python3 -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

echo "setup: ready"
