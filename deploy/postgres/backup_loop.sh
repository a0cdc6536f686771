#!/usr/bin/env bash
# compose `pg-backup`: a base backup of the `postgres` service to the object store every night
# (pitwall-pitr base-backup: pg_basebackup over TLS, verify-full). WAL segments are archived
# continuously by the server (archive_command), so any point in time covered by a retained
# base backup and the WAL after it can be restored: docs/operations.md, "Restore drill".
set -euo pipefail

hour="${PITWALL_BACKUP_HOUR:-2}"

while true; do
  pitwall-pitr base-backup
  touch /tmp/last-backup
  # sleep until the next backup hour (UTC)
  now=$(date -u +%s)
  next=$(date -u -d "tomorrow ${hour}:00" +%s)
  sleep $((next - now))
done
