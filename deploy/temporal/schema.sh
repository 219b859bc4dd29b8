#!/bin/sh
# Creates Temporal's schema in its two PostgreSQL databases and applies
# every versioned migration, with Temporal's own SQL tool from the
# admin-tools image. Safe to run again: a database already at the latest
# version is left as it is. TEMPORAL_SQL_TOOL and TEMPORAL_SCHEMA_DIR
# point elsewhere than the image's paths.
set -eu
sql() {
  db="$1"
  shift
  "${TEMPORAL_SQL_TOOL:-temporal-sql-tool}" --plugin "$DB" --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" --pw "$POSTGRES_PWD" --db "$db" "$@"
}
schema="${TEMPORAL_SCHEMA_DIR:-/etc/temporal/schema}/postgresql/v12"
for pair in "$DBNAME:temporal" "$VISIBILITY_DBNAME:visibility"; do
  name="${pair%%:*}" dir="${pair##*:}"
  echo "schema of $name"
  sql "$name" setup-schema -v 0.0
  sql "$name" update-schema -d "$schema/$dir/versioned"
done
