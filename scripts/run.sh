#!/usr/bin/env bash
# `make run` in one script (also for machines without make): set up everything, migrate, load the
# demo district, then serve it with gunicorn beside one job worker, both supervised here.
#   scripts/run.sh            set up + serve (HOST=127.0.0.1:8000 by default)
#   scripts/run.sh --serve    serve only (the set-up already done)
# Ctrl-C (or SIGTERM) stops both processes. If gunicorn dies, the worker is stopped too; the worker
# is restarted when it stops by itself (procrastinate stops a worker whose database went away).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

if [[ "${1:-}" != "--serve" ]]; then
  scripts/bootstrap.sh
  if [[ -z "${DATABASE_URL:-}" ]]; then scripts/pg.sh start; fi
  $PY manage.py migrate --noinput
  $PY manage.py collectstatic --noinput -v0
  $PY manage.py compilemessages --ignore=.venv >/dev/null
  $PY manage.py load_demo
fi

export ALLEY_BIND=${HOST:-${ALLEY_BIND:-127.0.0.1:8000}}
pids=()
stop() {
  trap - INT TERM
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap 'stop; exit 130' INT TERM

echo "==> serving on http://$ALLEY_BIND (gunicorn; DJANGO_DEBUG=${DJANGO_DEBUG:-0}) with one job worker"
.venv/bin/gunicorn -c config/gunicorn.conf.py &
pids+=($!)
worker_loop() {
  local child=""
  trap '[[ -n $child ]] && kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; exit 0' INT TERM
  while true; do
    $PY manage.py procrastinate worker --name "worker-$(hostname)" &
    child=$!
    wait "$child" || true
    echo "==> the job worker stopped; starting it again in 5 s" >&2
    sleep 5 &
    wait $! || true
  done
}
worker_loop &
pids+=($!)

set +e
wait -n "${pids[@]}"
status=$?
set -e
echo "==> a process exited ($status): stopping the other" >&2
stop
exit "$status"
