"""The one procrastinate app every domain app defines its jobs on (each in its own tasks.py).

Jobs live in PostgreSQL (procrastinate's tables, same database): `enqueue` inserts the job row
through Django's own connection (procrastinate's DjangoConnector), so inside `transaction.atomic()`
the job commits or rolls back together with the data it follows. Workers (`manage.py procrastinate
worker`, any number, on any machine) fetch jobs with FOR UPDATE SKIP LOCKED.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connections,
    transaction,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import override
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app
from procrastinate.contrib.django.models import ProcrastinateJob
from procrastinate.exceptions import AlreadyEnqueued

from jobs.errors import JobFailed
from jobs.models import JobRecord

log = logging.getLogger("jobs")

__all__ = ["app", "enqueue", "enqueue_once", "job", "periodic", "run_pending_jobs"]

# A database that went away (restart, failover) is worth retrying; a bug is not.
RETRY_ON_DATABASE = RetryStrategy(
    max_attempts=5, exponential_wait=2, retry_exceptions={OperationalError, InterfaceError}
)


def _explain(exc: BaseException) -> dict[str, str]:
    """The failure in words, in every language of the site (the reader's is chosen on reading)."""
    if not isinstance(exc, JobFailed):
        if isinstance(exc, OperationalError | InterfaceError):
            exc = JobFailed(_("数据库暂时不可用，任务将自动重试。"))
        else:
            exc = JobFailed(
                _("任务出错（%(kind)s），已记录在服务器日志中；请稍后重试或联系管理员。"),
                kind=type(exc).__name__,
            )
    return exc.in_languages()


def _finish(
    job_id: int, task_name: str, *, result: Any = None, error: dict[str, str] | None = None
) -> None:
    """Keep the result or the error for the person waiting (rows exist only for awaited jobs,
    plus every failure so that the admin can read it). The error is kept in the site's language
    as `error` and in every language in the result, which a failed job has no other use for."""
    text = (error or {}).get(settings.LANGUAGE_CODE, "")
    if error:
        result = {"error_by_language": error}
    updated = JobRecord.objects.filter(job_id=job_id).update(
        result=result, error=text, finished_at=timezone.now()
    )
    if not updated and error:
        JobRecord.objects.create(
            job_id=job_id,
            task_name=task_name,
            result=result,
            error=text,
            finished_at=timezone.now(),
        )


def job(name: str, *, queue: str = "default", retry: Any = RETRY_ON_DATABASE, **options: Any):
    """Declare a job: a plain function of JSON-able keyword arguments, run in a worker thread with
    its own Django connection. Its return value (JSON-able) is kept for the page that waits."""

    def decorate(func: Callable[..., Any]):
        @functools.wraps(func)
        def run(context, **kwargs: Any) -> Any:
            close_old_connections()
            job_id = context.job.id
            try:
                with override(settings.LANGUAGE_CODE):
                    result = func(**kwargs)
            except Exception as exc:
                log.exception("job %s #%s failed", name, job_id)
                try:
                    _finish(job_id, name, error=_explain(exc))
                except DatabaseError:
                    log.warning("could not record the failure of job #%s", job_id)
                raise
            else:
                _finish(job_id, name, result=result)
                return None
            finally:
                # Worker threads come and go: never leave their connections behind.
                connections.close_all()

        return app.task(name=name, queue=queue, retry=retry, pass_context=True, **options)(run)

    return decorate


def periodic(cron: str, name: str, *, queue: str = "periodic"):
    """A job procrastinate's workers defer on a cron schedule (once per tick across all workers)."""

    def decorate(func: Callable[[], Any]):
        @functools.wraps(func)
        def run(timestamp: int) -> None:
            close_old_connections()
            try:
                func()
            finally:
                connections.close_all()

        task = app.task(name=name, queue=queue, retry=RETRY_ON_DATABASE)(run)
        return app.periodic(cron=cron, periodic_id=name)(task)

    return decorate


def enqueue(task: Any, *, requested_by: Any = None, **kwargs: Any) -> int:
    """Defer `task` through Django's connection, so in the caller's transaction; returns the job id.
    With `requested_by`, that user may follow the job on the job-status endpoint."""
    job_id = task.defer(**kwargs)
    if requested_by is not None:
        JobRecord.objects.create(job_id=job_id, task_name=task.name, requested_by=requested_by)
    return job_id


def enqueue_once(task: Any, lock: str, *, requested_by: Any = None, **kwargs: Any) -> int:
    """Like `enqueue`, but while a job with the same `lock` is queued or running its id is returned
    instead of a second one (two planners asking for the same board render wait on one job)."""
    waiting = ProcrastinateJob.objects.filter(queueing_lock=lock, status__in=["todo", "doing"])
    if (found := waiting.values_list("id", flat=True).first()) is not None:
        return found
    try:
        with transaction.atomic():  # a savepoint: the refused insert must not spoil the caller's
            job_id = task.configure(queueing_lock=lock).defer(**kwargs)
    except AlreadyEnqueued:  # another request deferred it between the look-up and now
        return waiting.values_list("id", flat=True).first()
    # Always a record: waiting pages (session followers included) read the result from it.
    JobRecord.objects.create(job_id=job_id, task_name=task.name, requested_by=requested_by)
    return job_id


def run_pending_jobs(queues: list[str] | None = None) -> None:
    """Run every job waiting now, in this process, then return (tests, benchmarks, one-shot use).
    Uses the worker's own connector, as `manage.py procrastinate worker` does."""
    with app.replace_connector(app.connector.get_worker_connector()) as worker_app:
        worker_app.run_worker(
            queues=queues, wait=False, install_signal_handlers=False, listen_notify=False
        )
