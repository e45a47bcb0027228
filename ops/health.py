"""GET /healthz: database, job queue and disk for monitoring; 200 when all is well, else 503."""

from __future__ import annotations

import shutil
import time
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

# Below this much free disk (media and database files grow), the check fails.
MIN_FREE_BYTES = 1024**3
# A queued job older than this means no worker is taking jobs.
MAX_OLDEST_JOB_SECONDS = 15 * 60
QUEUE_SQL = """
SELECT count(*) FILTER (WHERE status = 'todo'),
       count(*) FILTER (WHERE status = 'doing'),
       count(*) FILTER (WHERE status = 'failed'),
       extract(epoch FROM now() - min(scheduled_or_created) FILTER (WHERE status = 'todo'))
FROM (
  SELECT j.status, coalesce(j.scheduled_at, (
    SELECT min(e.at) FROM procrastinate_events e WHERE e.job_id = j.id)) AS scheduled_or_created
  FROM procrastinate_jobs j WHERE j.status IN ('todo', 'doing', 'failed')
) q
WHERE scheduled_or_created IS NULL OR scheduled_or_created <= now()
"""


def _database() -> dict[str, Any]:
    began = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
        cur.fetchone()
    return {"ok": True, "latency_ms": round((time.perf_counter() - began) * 1000, 1)}


def _queue() -> dict[str, Any]:
    with connection.cursor() as cur:
        cur.execute(QUEUE_SQL)
        queued, running, failed, oldest = cur.fetchone()
        cur.execute(
            "SELECT count(*) FROM procrastinate_workers"
            " WHERE last_heartbeat > now() - interval '1 minute'"
        )
        workers = cur.fetchone()[0]
    oldest_s = round(float(oldest), 1) if oldest is not None else None
    return {
        "ok": oldest_s is None or oldest_s < MAX_OLDEST_JOB_SECONDS,
        "queued": queued,
        "running": running,
        "failed": failed,
        "oldest_queued_seconds": oldest_s,
        "workers": workers,
    }


def _disk() -> dict[str, Any]:
    usage = shutil.disk_usage(settings.MEDIA_ROOT if settings.MEDIA_ROOT.exists() else "/")
    return {
        "ok": usage.free >= MIN_FREE_BYTES,
        "free_bytes": usage.free,
        "total_bytes": usage.total,
    }


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, Any] = {}
    for name, check in (("database", _database), ("queue", _queue), ("disk", _disk)):
        try:
            checks[name] = check()
        except Exception as exc:  # a failing part is reported, never a 500
            checks[name] = {"ok": False, "error": type(exc).__name__}
            if name == "database":
                checks["queue"] = {"ok": False, "error": "database unavailable"}
                break
    ok = all(c["ok"] for c in checks.values())
    response = JsonResponse({"ok": ok, **checks}, status=200 if ok else 503)
    if not ok:
        response["Retry-After"] = "5"
    return response
