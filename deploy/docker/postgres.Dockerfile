# syntax=docker/dockerfile:1.7
# PostgreSQL 17 with Pitwall's WAL archiving and base backups to the object store
# (deploy/postgres/pitr.py, run by Debian's python3 with python3-boto3).
#   docker build -f deploy/docker/postgres.Dockerfile -t pitwall-postgres .
# The server runs as the image's postgres user (uid 999). archive_command pushes each WAL
# segment; the pg-backup service runs pitwall-backup-loop (a nightly base backup).

# base image by digest (Renovate bumps tag and digest together: .github/renovate.json)
ARG POSTGRES_IMAGE=postgres:17-bookworm@sha256:4f736ae292687621d4dbe0d499ffd024a36bd2ee7d8ca6f2ccd4c800f047b394

FROM ${POSTGRES_IMAGE} AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3-boto3 \
    && rm -rf /var/lib/apt/lists/*
COPY --chmod=0755 deploy/postgres/pitr.py /usr/local/bin/pitwall-pitr
COPY --chmod=0755 deploy/postgres/backup_loop.sh /usr/local/bin/pitwall-backup-loop
HEALTHCHECK --interval=10s --timeout=5s --retries=12 \
    CMD ["pg_isready", "--username", "postgres"]
