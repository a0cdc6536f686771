#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 for the DSN-server tests (the
# suite also runs them against the embedded pgserver). Installs Debian's package if needed.
set -euo pipefail
[ -n "${PITWALL_TEST_PG_DSN:-}" ] && exit 0  # a server was named: use it as it is
ready() { pg_isready -q -h 127.0.0.1 -p 5432 >/dev/null 2>&1; }
if command -v pg_isready >/dev/null 2>&1 && ready; then exit 0; fi
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "installing PostgreSQL (Debian package) for the DSN-server tests..."
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /etc/postgresql | sort -V | tail -n 1)
conf=/etc/postgresql/$version/main
# trust on loopback, as the tests expect (a CI machine only)
if ! grep -q "pitwall-ci" "$conf/pg_hba.conf"; then
  sed -i '1i host all all 127.0.0.1/32 trust # pitwall-ci' "$conf/pg_hba.conf"
fi
pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
for _ in $(seq 1 30); do ready && break; sleep 1; done
ready || { echo "PostgreSQL did not start on 127.0.0.1:5432" >&2; exit 1; }
psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" >/dev/null
