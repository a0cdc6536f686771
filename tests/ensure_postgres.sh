#!/usr/bin/env bash
# `make postgres` / `make system-deps` (opt-in; CI runs it): a PostgreSQL server on
# 127.0.0.1:5432 with trust auth on loopback and a database `test`, for the DSN-server tests.
# Without it, `make test` starts a second embedded server instead (tests/conftest.py).
# Installs Debian's package when missing and adds a `trust` line to pg_hba.conf: a system
# change, made only when asked, as root or through sudo.
set -euo pipefail
[ -n "${PITWALL_TEST_PG_DSN:-}" ] && { echo "PITWALL_TEST_PG_DSN is set: nothing to do"; exit 0; }
ready() { pg_isready -q -h 127.0.0.1 -p 5432 >/dev/null 2>&1; }
SUDO=""
if [ "$(id -u)" != "0" ]; then
  command -v sudo >/dev/null 2>&1 || { echo "installing PostgreSQL needs root or sudo" >&2; exit 1; }
  SUDO="sudo"
fi
if ! { command -v pg_isready >/dev/null 2>&1 && ready; }; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "installing Debian's postgresql with apt-get (a system change: make postgres)..."
    $SUDO apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
  fi
  version=$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
  conf=/etc/postgresql/$version/main
  if ! $SUDO grep -q "pitwall-tests" "$conf/pg_hba.conf"; then
    echo "trusting 127.0.0.1 in $conf/pg_hba.conf (for the tests; a development machine only)"
    $SUDO sed -i '1i host all all 127.0.0.1/32 trust # pitwall-tests' "$conf/pg_hba.conf"
  fi
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do ready && break; sleep 1; done
  ready || { echo "PostgreSQL did not start on 127.0.0.1:5432" >&2; exit 1; }
fi
psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" >/dev/null
echo "PostgreSQL answers on 127.0.0.1:5432 (database test)"
