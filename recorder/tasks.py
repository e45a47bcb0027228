"""Recorder jobs (procrastinate, see jobs/queue.py): recordings whose phone went quiet (battery
dead, app killed, "结束巡查" forgotten) are compacted into tracks, and closed when silent for
long, by the worker `make run` starts — no cron needed."""

from __future__ import annotations

from jobs.queue import periodic
from recorder.compaction import compact_idle

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
