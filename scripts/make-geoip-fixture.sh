#!/usr/bin/env bash
# Builds the small GeoLite2-City-shaped .mmdb the tests use (no downloaded
# data): a Python venv under target/ with mmdb-writer, then a few networks.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/test-fixtures/GeoLite2-City-Test.mmdb}"
if [ -s "$out" ] && [ "$out" -nt scripts/geoip_fixture.py ]; then
  exit 0
fi
venv=target/py-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import mmdb_writer, netaddr" 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check "mmdb-writer==0.2.7" "netaddr>=0.10"
fi
mkdir -p "$(dirname "$out")"
"$venv/bin/python" scripts/geoip_fixture.py "$out"
