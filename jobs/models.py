"""What procrastinate's job table does not keep: who waits for a job, its result, its error in words."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobRecord(models.Model):
    """One row per job a person waits for (or that failed): procrastinate keeps the state, this
    keeps who may see it, a small JSON result for the page, and a failure explained in words."""

    job_id = models.BigIntegerField(primary_key=True)
    task_name = models.CharField(max_length=128)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("任务记录")
        verbose_name_plural = _("任务记录")

    def __str__(self) -> str:
        return f"{self.task_name} #{self.job_id}"
