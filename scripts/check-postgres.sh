#!/usr/bin/env bash
# The integration tests run on PostgreSQL too; fail loudly if it is not there.
set -euo pipefail
url="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
if psql "$url" -qtAc 'SELECT 1' >/dev/null 2>&1; then
  exit 0
fi
# On the project's machines PostgreSQL is installed; try starting a stopped cluster once.
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  for version in $(ls /etc/postgresql); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start >/dev/null 2>&1 || true
  done
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    if psql "$url" -qtAc 'SELECT 1' >/dev/null 2>&1; then exit 0; fi
    sleep 1
  done
fi
echo "make test: PostgreSQL is not reachable at TEST_POSTGRES_URL=$url." >&2
echo "The integration tests run on SQLite AND PostgreSQL; start PostgreSQL or point TEST_POSTGRES_URL at one." >&2
exit 1
