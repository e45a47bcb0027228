#!/usr/bin/env bash
# Backups of the whole database (data, PostGIS, the job queue) with pg_dump's custom format.
#   scripts/backup.sh dump [FILE]           dump DATABASE_URL (default var/backups/alley-<UTC time>.dump)
#   scripts/backup.sh restore FILE NEW_DB   restore FILE into a new database NEW_DB on the same server
#   scripts/backup.sh verify FILE           restore into a scratch database, compare row counts of
#                                           every table with DATABASE_URL, drop the scratch database
# Original files (var/media or ALLEY_MEDIA_ROOT) are files: back them up beside the dump (rsync).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
URL=${DATABASE_URL:-$(scripts/pg.sh url)}
URL=${URL/#postgis:/postgresql:}
# The same server, another database: replace the path of the URL.
url_for() { echo "${URL%/*}/$1"; }

dump() {
  local file=${1:-var/backups/alley-$(date -u +%Y%m%dT%H%M%SZ).dump}
  mkdir -p "$(dirname "$file")"
  "$BIN/pg_dump" --format=custom --no-owner --file="$file" "$URL"
  echo "$file"
}

restore() {
  local file=$1 db=$2
  "$BIN/psql" -X -q -v ON_ERROR_STOP=1 "$(url_for postgres)" -c "CREATE DATABASE \"$db\""
  "$BIN/pg_restore" --no-owner --exit-on-error --dbname="$(url_for "$db")" "$file"
}

counts() {
  # Exact row count of every ordinary and partitioned table outside the system schemas.
  "$BIN/psql" -X -At -v ON_ERROR_STOP=1 "$1" <<'SQL'
SELECT format('SELECT %L || '' '' || count(*) FROM %I.%I;', n.nspname || '.' || c.relname, n.nspname, c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'tiger', 'topology')
ORDER BY 1 \gexec
SQL
}

SCRATCH=""
drop_scratch() {
  [[ -n $SCRATCH ]] && "$BIN/psql" -X -q "$(url_for postgres)" -c "DROP DATABASE IF EXISTS \"$SCRATCH\""
}

verify() {
  local file=$1
  SCRATCH="alley_restore_check_$$"
  trap drop_scratch EXIT
  restore "$file" "$SCRATCH"
  if diff <(counts "$URL") <(counts "$(url_for "$SCRATCH")"); then
    echo "restore verified: $(counts "$URL" | wc -l) tables, the same row counts"
  else
    echo "restore differs from the live database (rows written since the dump?)" >&2
    exit 1
  fi
}

case "${1:-dump}" in
  dump) shift || true; dump "$@" ;;
  restore) restore "$2" "$3" ;;
  verify) verify "$2" ;;
  *) echo "usage: $0 dump [FILE] | restore FILE NEW_DB | verify FILE" >&2; exit 2 ;;
esac
