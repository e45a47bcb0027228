#!/usr/bin/env bash
# A project-local PostGIS cluster in var/pg: scripts/pg.sh start|stop|status|url.
# Skipped entirely when DATABASE_URL points at an existing server.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PORT=${ALLEY_PGPORT:-54329}
DATA=$ROOT/var/pg/data
RUN=$ROOT/var/pg/run
LOG=$ROOT/var/pg/postgres.log
DB=${ALLEY_DB_NAME:-alley}
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

# initdb refuses to run as root: then the cluster belongs to the unprivileged 'postgres' user.
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

psql_local() { "$BIN/psql" -X -q -h 127.0.0.1 -p "$PORT" -U alley "$@"; }

start() {
  mkdir -p "$ROOT/var/pg"
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres "$ROOT/var/pg"
    # postgres needs to reach var/pg through the project path.
    d=$ROOT; while [[ "$d" != "/" ]]; do chmod o+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
  fi
  if [[ ! -f $DATA/PG_VERSION ]]; then
    echo "==> initdb $DATA"
    as_owner "$BIN/initdb" -D "$DATA" -U alley --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$RUN'
shared_buffers = 512MB
work_mem = 64MB
maintenance_work_mem = 256MB
max_wal_size = 4GB
synchronous_commit = off
max_connections = 100
CONF
  fi
  as_owner mkdir -p "$RUN"
  if ! as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    echo "==> starting local PostGIS on 127.0.0.1:$PORT"
    as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null
  fi
  if ! psql_local -d postgres -tAc "select 1 from pg_database where datname='$DB'" | grep -q 1; then
    psql_local -d postgres -c "create database $DB"
  fi
  psql_local -d "$DB" -c "create extension if not exists postgis" 2>/dev/null
  # Django's test runner creates test databases from template1: give it PostGIS too.
  psql_local -d template1 -c "create extension if not exists postgis" 2>/dev/null
}

case "${1:-start}" in
  start) start ;;
  stop) as_owner "$BIN/pg_ctl" -D "$DATA" -m fast stop ;;
  status) as_owner "$BIN/pg_ctl" -D "$DATA" status ;;
  url) echo "postgis://alley@127.0.0.1:$PORT/$DB" ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
