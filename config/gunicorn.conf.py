"""gunicorn settings for `make run` and production; every value can be set by environment."""

import os

bind = os.environ.get("ALLEY_BIND", "127.0.0.1:8000")
# Threads share one process's memory; processes use both cores. Requests that wait on PostgreSQL
# (most of them) overlap in threads.
workers = int(os.environ.get("ALLEY_WEB_WORKERS", "2"))
threads = int(os.environ.get("ALLEY_WEB_THREADS", "4"))
worker_class = "gthread"
# Long work (re-checks, boards, imports) runs in the job worker, so a request never needs long.
timeout = int(os.environ.get("ALLEY_WEB_TIMEOUT", "60"))
graceful_timeout = 20
# Recycle workers now and then so that a slow leak cannot grow without bound; rarely, because a
# recycle re-boots Django and drops kept-alive connections (at 2,000 requests a busy recording
# hour recycled each worker every few seconds and fed the p95 tail).
max_requests = int(os.environ.get("ALLEY_WEB_MAX_REQUESTS", "20000"))
max_requests_jitter = 2000
# The reverse proxy's address: only it may set X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("ALLEY_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("ALLEY_ACCESS_LOG") or None
errorlog = "-"
wsgi_app = "config.wsgi:application"
# gunicornc's control socket, one per checkout (the default in $HOME would be shared by every app).
control_socket = os.environ.get("ALLEY_GUNICORN_CTL") or os.path.join(
    os.path.dirname(os.path.dirname(__file__)), "var", "gunicorn.ctl"
)
