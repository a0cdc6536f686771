#!/usr/bin/env bash
# First start of the PostgreSQL container only (docker-entrypoint-initdb.d): the databases
# and owners of Keycloak and Airflow. The Pitwall database is POSTGRES_DB; its least-privilege
# roles are created by the pg-init job (deploy/postgres/init_roles.py), at every start.
# Passwords are psql variables (:'name' quotes them): never spliced into SQL text.
set -euo pipefail

psql --no-psqlrc --set ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set keycloak_password="$KEYCLOAK_DB_PASSWORD" \
  --set airflow_password="$AIRFLOW_DB_PASSWORD" <<'SQL'
CREATE ROLE keycloak LOGIN PASSWORD :'keycloak_password';
CREATE DATABASE keycloak OWNER keycloak;
CREATE ROLE airflow LOGIN PASSWORD :'airflow_password';
CREATE DATABASE airflow OWNER airflow;
REVOKE ALL ON DATABASE keycloak, airflow FROM PUBLIC;
SQL
