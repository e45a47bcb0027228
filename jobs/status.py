"""A job's state in the words a waiting page shows: queued, running, done or failed (with why)."""

from __future__ import annotations

from typing import Any

from procrastinate.contrib.django.models import ProcrastinateJob

from jobs.models import JobRecord

# procrastinate's statuses → what the page says.
STATES = {
    "todo": "queued",
    "doing": "running",
    "succeeded": "done",
    "failed": "failed",
    "cancelled": "failed",
    "aborting": "running",
    "aborted": "failed",
}


def job_state(job_id: int) -> dict[str, Any] | None:
    """{"id", "state", "attempts", "error", "result"}; None when no such job exists."""
    status = ProcrastinateJob.objects.filter(id=job_id).values_list("status", "attempts").first()
    record = JobRecord.objects.filter(job_id=job_id).first()
    if status is None and record is None:
        return None
    # A finished job's row may have been deleted by the worker; the record still says how it ended.
    if status is None:
        state, attempts = ("failed" if record.error else "done"), None
    else:
        state, attempts = STATES.get(status[0], status[0]), status[1]
    return {
        "id": job_id,
        "state": state,
        "attempts": attempts,
        "error": record.error if record and state == "failed" else "",
        "result": record.result if record and state == "done" else None,
    }


def may_follow(user: Any, job_id: int) -> bool:
    """The requester follows their own job; staff follow any."""
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    return JobRecord.objects.filter(job_id=job_id, requested_by=user).exists()
