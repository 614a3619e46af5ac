#!/bin/bash
# First-start setup of the compose stack's PostgreSQL: one login role per application, each
# owning only its own databases, instead of every service using the superuser.
#   temporal    may create databases: temporal-setup-schema creates temporal and
#               temporal_visibility with it, so it owns them.
#   onboarding  owns the onboarding database (the records store: the audit trail that
#               outlives Temporal's retention).
#
# The postgres image runs /docker-entrypoint-initdb.d/* only when the data volume is empty.
# Changing a password in .env later does NOT change it here: run
#   docker compose exec postgresql psql -U postgres -c "ALTER ROLE onboarding PASSWORD '...'"
set -euo pipefail

: "${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD is not set}"
: "${ONBOARDING_DB_PASSWORD:?ONBOARDING_DB_PASSWORD is not set}"

# Passwords go in as psql variables (:'name' quotes them), never pasted into the SQL text.
psql --set=ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  --set=temporal_password="$TEMPORAL_DB_PASSWORD" \
  --set=onboarding_password="$ONBOARDING_DB_PASSWORD" <<'SQL'
CREATE ROLE temporal LOGIN CREATEDB PASSWORD :'temporal_password';
CREATE ROLE onboarding LOGIN PASSWORD :'onboarding_password';
CREATE DATABASE onboarding OWNER onboarding;
-- Only its owner (and the superuser) may connect to the audit trail's database.
REVOKE ALL ON DATABASE onboarding FROM PUBLIC;
SQL
