"""Recorder jobs (procrastinate, see jobs/queue.py): recordings whose phone went quiet (battery
dead, app killed, "结束巡查" forgotten) are compacted into tracks, and closed when silent for
long, by the worker `make run` starts — no cron needed; and once a month recordings older than
the track retention are deleted with their staged fixes (raw locations are personal data)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from jobs.queue import periodic
from patrols.tracks.partitions import cutoff_month, retention_months
from recorder.compaction import compact_idle
from recorder.models import Recording

IDLE_COMPACTION_CRON = "*/5 * * * *"


def compact_idle_recordings() -> dict:
    """Compact the idle recordings now; each new upload queues its own pair-day re-check."""
    results = compact_idle()
    return {
        "recordings": len(results),
        "uploads": sum(1 for r in results if r.upload_id and not r.duplicate),
        "rejected": sum(1 for r in results if r.rejected),
    }


@periodic(IDLE_COMPACTION_CRON, "recorder.compact_idle")
def periodic_compact_idle() -> None:
    compact_idle_recordings()


def prune_recordings(keep_months: int | None = None, today: date | None = None) -> int:
    """Delete recordings (and their batches) started before the first month tracks are kept
    (the same cut-off as `patrols.tracks.partitions.prune`); returns how many."""
    first = cutoff_month(retention_months() if keep_months is None else keep_months, today)
    cutoff = datetime(first.year, first.month, 1, tzinfo=UTC)
    deleted, _ = Recording.objects.filter(started_at__lt=cutoff).delete()
    return deleted


@periodic("30 3 1 * *", "recorder.monthly_prune_recordings")
def monthly_prune_recordings() -> None:
    prune_recordings()
