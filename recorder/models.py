"""The phone patrol recorder: a recording and its staged batches of fixes.

A batch is one row, appended once and never rewritten; compaction (recorder.compaction) turns a
recording's staged fixes into tracks through the upload path and notes the batches it took in
the recording's `compacted_seqs`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.gis.db import models as gis_models
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from geo.models import StreetOffice
from patrols.models import TrackUpload
from stewards.models import Steward


class SeqSetField(models.Field):
    """A set of batch numbers as PostgreSQL's int4multirange: consecutive seqs are one range, so
    a recording's set stays a few bytes however long it runs (`seq <@ set` tests membership)."""

    description = "set of integers (int4multirange)"

    def db_type(self, connection) -> str:
        return "int4multirange"


def not_compacted(batch: str = "b", recording: str = "r") -> str:
    """SQL: the batch (alias `batch`) is not yet in its recording's (alias `recording`) tracks —
    the one test of `compacted_seqs` that compaction, the idle job and the live map share."""
    return f"NOT {batch}.seq <@ {recording}.compacted_seqs"


class Recording(models.Model):
    """One patrol recorded in the browser. The id is made by the phone, so it can start offline."""

    class Status(models.TextChoices):
        OPEN = "open", _("记录中")
        CLOSED = "closed", _("已结束")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    steward = models.ForeignKey(Steward, on_delete=models.CASCADE, related_name="recordings")
    # Denormalised from the steward: the supervisors' live map filters by office without a join.
    street_office = models.ForeignKey(StreetOffice, on_delete=models.CASCADE, related_name="+")
    device_id = models.CharField(_("设备标识"), max_length=64)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    started_at = models.DateTimeField(_("开始时间"))
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    last_batch_at = models.DateTimeField(_("最后收到数据"), null=True, blank=True)
    last_fix_at = models.DateTimeField(_("最后定位时间"), null=True, blank=True)
    last_position = gis_models.PointField(_("最后位置"), srid=4326, null=True, blank=True)
    last_accuracy_m = models.FloatField(_("最后定位精度（米）"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    upload = models.ForeignKey(
        TrackUpload, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # sha256 hex of the recording's upload key (a capability handed to its opener, never stored
    # in clear): batches may authenticate with it alone. Emptied once the recording is closed or
    # the uploader logged out ("" then): the key stops working.
    upload_key_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    compacted_at = models.DateTimeField(_("最后整理时间"), null=True, blank=True)
    compaction_note = models.TextField(_("整理说明"), blank=True, default="")
    # The seqs of the batches already compacted into tracks (see recorder.compaction): marking
    # them here is one row's update, where a flag per batch rewrote every batch row.
    compacted_seqs = SeqSetField(db_default="{}", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("巡查记录")
        verbose_name_plural = _("巡查记录")
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["street_office", "status", "last_fix_at"], name="rec_office_live"),
            models.Index(fields=["steward", "started_at"], name="rec_steward_time"),
        ]

    def __str__(self) -> str:
        return f"{self.steward} {self.started_at:%Y-%m-%d %H:%M} ({self.status})"


class RecordingBatch(models.Model):
    """One batch of fixes as the phone sent it: parallel arrays, one row per (recording, seq)."""

    id = models.BigAutoField(primary_key=True)
    recording = models.ForeignKey(
        Recording, on_delete=models.CASCADE, related_name="batches", db_index=False
    )
    seq = models.PositiveIntegerField(_("序号"))
    received_at = models.DateTimeField(_("收到时间"))
    t = ArrayField(models.FloatField(), verbose_name=_("时间（UTC 纪元秒）"))
    lon = ArrayField(models.FloatField())
    lat = ArrayField(models.FloatField())
    acc = ArrayField(models.FloatField(), verbose_name=_("精度（米，NaN 为未知）"))

    class Meta:
        db_table = "recorder_batch"
        verbose_name = _("记录批次")
        verbose_name_plural = _("记录批次")
        constraints = [
            # The resend guard: INSERT … ON CONFLICT DO NOTHING against this stores a batch once.
            models.UniqueConstraint(fields=["recording", "seq"], name="recorder_batch_once"),
        ]

    def __str__(self) -> str:
        return f"{self.recording_id}#{self.seq}"
