#!/bin/sh
# Create or upgrade Temporal's two PostgreSQL databases (run by the temporal-schema service
# of docker-compose.yml, in the temporalio/admin-tools image, which has only busybox sh).
#
# It runs on every `docker compose up`, and that is safe: `create` ignores a database that
# exists, `setup-schema -v 0.0` only adds the version tables when missing, and
# `update-schema` applies only the versions newer than the database's. So raising
# TEMPORAL_VERSION / TEMPORAL_ADMINTOOLS_VERSION together upgrades the schema here, before
# the new server starts (the server waits for this service to finish).
#
# temporal-sql-tool reads the password from SQL_PASSWORD, so it never shows in `ps`.
set -eu

: "${SQL_PASSWORD:?SQL_PASSWORD, the password of the temporal database role, is not set}"
host=${SQL_HOST:-postgresql}
port=${SQL_PORT:-5432}
user=${SQL_USER:-temporal}
schema=/etc/temporal/schema/postgresql/v12

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$host" -p "$port" -u "$user" "$@"
}

for pair in temporal:temporal temporal_visibility:visibility; do
  db=${pair%%:*}
  dir=${pair#*:}
  echo "database $db: create if missing, then bring the schema up to date"
  sql_tool --db "$db" create
  sql_tool --db "$db" setup-schema -v 0.0
  sql_tool --db "$db" update-schema -d "$schema/$dir/versioned"
done
echo "Temporal schema ready"
