"""The queue's own housekeeping: finished jobs and their records are kept 30 days, then deleted
(the job table is small and hot; without this it only grows)."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.utils import timezone

from jobs.models import JobRecord
from jobs.queue import periodic

KEEP_DAYS = 30
PRUNE_SQL = """
DELETE FROM procrastinate_jobs j
WHERE j.status IN ('succeeded', 'failed', 'cancelled', 'aborted')
  AND NOT EXISTS (SELECT 1 FROM procrastinate_events e
                  WHERE e.job_id = j.id AND e.at > now() - make_interval(days => %s))
"""


def prune_finished_jobs(keep_days: int = KEEP_DAYS) -> int:
    """Delete jobs finished (and records made) more than `keep_days` ago; returns jobs deleted."""
    with connection.cursor() as cur:
        cur.execute(PRUNE_SQL, [keep_days])
        deleted = cur.rowcount
    JobRecord.objects.filter(created_at__lt=timezone.now() - timedelta(days=keep_days)).delete()
    return deleted


@periodic("15 4 * * *", "jobs.prune_finished")
def nightly_prune() -> None:
    prune_finished_jobs()
