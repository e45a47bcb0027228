"""A job's state in the words a waiting page shows: queued, running, done or failed (with why)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language
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
SESSION_KEY = "followed_jobs"


def _error(record: JobRecord) -> str:
    """The error in the reader's language when the job kept it in several."""
    by_language = (record.result or {}).get("error_by_language") or {}
    return by_language.get(get_language()) or record.error


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
        "error": _error(record) if record and state == "failed" else "",
        "result": record.result if record and state == "done" else None,
    }


def follow_in_session(request: Any, job_id: int) -> None:
    """Let this browser follow a job it is shown waiting for (shared jobs such as a board render
    have one requester; a public board's visitor has no account at all)."""
    followed = [j for j in request.session.get(SESSION_KEY, []) if j != job_id][-49:]
    request.session[SESSION_KEY] = [*followed, job_id]


def may_follow(request: Any, job_id: int) -> bool:
    """The requester follows their own job, a browser the jobs it was shown; staff follow any."""
    user = request.user
    if job_id in request.session.get(SESSION_KEY, []):
        return True
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    return JobRecord.objects.filter(job_id=job_id, requested_by=user).exists()
