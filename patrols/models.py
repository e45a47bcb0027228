"""Patrols: uploaded GPS tracks, the patrol rule's settings and verdicts, and walked coverage."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.gis.db import models as gis_models
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from geo.fields import BitStringField
from geo.models import Community, Segment, StreetOffice
from stewards.models import Pair, Steward


def _track_upload_path(instance: TrackUpload, filename: str) -> str:
    # Content-addressed: the checksum names the file, so the same bytes are never stored twice.
    return f"tracks/{instance.sha256[:2]}/{instance.sha256}"


class TrackUpload(models.Model):
    """The original uploaded file, kept for audit with its checksum and the cleaning report."""

    class Format(models.TextChoices):
        GPX = "gpx", "GPX"
        KML = "kml", "KML"
        GEOJSON = "geojson", "GeoJSON"
        CSV = "csv", "CSV"
        PLT = "plt", "GeoLife PLT"

    class SourceCRS(models.TextChoices):
        WGS84 = "wgs84", "WGS-84"
        GCJ02 = "gcj02", _("GCJ-02（高德/腾讯/微信）")
        BD09 = "bd09", _("BD-09（百度）")

    steward = models.ForeignKey(Steward, on_delete=models.PROTECT, related_name="track_uploads")
    street_office = models.ForeignKey(
        StreetOffice, on_delete=models.CASCADE, related_name="track_uploads"
    )
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    original_filename = models.CharField(_("原始文件名"), max_length=255)
    file = models.FileField(_("原始文件"), upload_to=_track_upload_path, max_length=255)
    size_bytes = models.BigIntegerField(_("文件大小"))
    format = models.CharField(_("格式"), max_length=10, choices=Format.choices)
    source_crs = models.CharField(
        _("坐标系"), max_length=10, choices=SourceCRS.choices, default=SourceCRS.WGS84
    )
    cleaning_report = models.JSONField(_("清洗报告"), default=dict)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("轨迹上传")
        verbose_name_plural = _("轨迹上传")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["steward", "sha256"], name="trackupload_unique_file_per_steward"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.steward} · {self.original_filename}"


class Track(models.Model):
    """One continuous patrol track in WGS-84 with a UTC time for every vertex.

    `geom` is a 2-D line and `times[i]` is the epoch second (UTC) of vertex i; see
    docs/design/tracks.md for why this and not LINESTRING M or a point table.
    """

    # (steward, started_at) and (street_office, started_at) below serve the foreign keys too.
    steward = models.ForeignKey(
        Steward, on_delete=models.PROTECT, related_name="tracks", db_index=False
    )
    street_office = models.ForeignKey(
        StreetOffice, on_delete=models.CASCADE, related_name="tracks", db_index=False
    )
    upload = models.ForeignKey(TrackUpload, on_delete=models.CASCADE, related_name="tracks")
    started_at = models.DateTimeField(_("开始时间"))
    ended_at = models.DateTimeField(_("结束时间"))
    geom = gis_models.LineStringField(_("轨迹"), srid=4326)
    times = ArrayField(models.FloatField(), verbose_name=_("各点时间（UTC 纪元秒）"))
    point_count = models.PositiveIntegerField(_("点数"))
    length_m = models.FloatField(_("长度（米）"))
    source_crs = models.CharField(
        _("原坐标系"), max_length=10, choices=TrackUpload.SourceCRS.choices
    )
    flags = ArrayField(
        models.CharField(max_length=30), default=list, blank=True, verbose_name=_("标记")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("巡查轨迹")
        verbose_name_plural = _("巡查轨迹")
        ordering = ["steward", "started_at"]
        indexes = [
            models.Index(fields=["steward", "started_at"], name="track_steward_time"),
            models.Index(fields=["street_office", "started_at"], name="track_office_time"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__gte=models.F("started_at")), name="track_time_order"
            ),
            models.CheckConstraint(
                condition=models.Q(point_count__gte=2), name="track_at_least_two_points"
            ),
            # Lets day queries bound started_at from below, so old monthly partitions are pruned.
            models.CheckConstraint(
                condition=models.Q(ended_at__lte=models.F("started_at") + timedelta(days=1)),
                name="track_at_most_one_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.steward} {self.started_at:%Y-%m-%d %H:%M} ({self.point_count})"


class RuleSettings(models.Model):
    """One street office's overrides of the patrol rule (`patrols.rule_config.RuleParams`).

    Keys are RuleParams field names, e.g. {"min_minutes": 90, "time_slots": [["06:00", "09:00"]]};
    anything absent keeps the seed default.
    """

    street_office = models.OneToOneField(
        StreetOffice, on_delete=models.CASCADE, related_name="rule_settings", verbose_name=_("街道")
    )
    overrides = models.JSONField(_("规则参数"), default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("巡查规则设置")
        verbose_name_plural = _("巡查规则设置")

    def __str__(self) -> str:
        return f"{self.street_office} · {self.overrides}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from patrols.rule_config import RuleParams

        try:
            RuleParams.from_overrides(self.overrides)
        except (TypeError, ValueError) as exc:
            raise ValidationError({"overrides": str(exc)}) from exc


class PairDayVerdict(models.Model):
    """The rule's verdict for one pair on one local day (Asia/Shanghai), with its numbers."""

    pair = models.ForeignKey(
        Pair, on_delete=models.PROTECT, related_name="verdicts", verbose_name=_("巡查组")
    )
    # Denormalised from pair so the supervisors' filters need no join.
    street_office = models.ForeignKey(StreetOffice, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("日期"))
    compliant = models.BooleanField(_("达标"))
    minutes_qualifying = models.FloatField(_("同行且在片区内步行（分钟）"))
    minutes_together = models.FloatField(_("同行（分钟）"))
    minutes_together_inside = models.FloatField(_("同行且在片区内（分钟）"))
    minutes_inside_min_member = models.FloatField(
        _("组员片区内步行最少（分钟）"), help_text=_("各组员在片区内步行时间中的最小值")
    )
    walked_share = models.FloatField(_("认领街巷走过比例"))
    failed_codes = models.JSONField(_("未达标条件"), default=list, blank=True)
    reasons = models.JSONField(_("原因"), default=list, blank=True)
    numbers = models.JSONField(_("计算明细"), default=dict, blank=True)
    params_digest = models.CharField(_("规则参数指纹"), max_length=16)
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        verbose_name = _("巡查日判定")
        verbose_name_plural = _("巡查日判定")
        ordering = ["-day", "pair"]
        constraints = [
            models.UniqueConstraint(fields=["pair", "day"], name="verdict_pair_day_unique")
        ]
        indexes = [
            models.Index(fields=["street_office", "day"]),
            models.Index(fields=["community", "day"]),
        ]

    def __str__(self) -> str:
        return f"{self.pair} {self.day} {'✓' if self.compliant else '✗'}"


class SegmentCoverage(models.Model):
    """How much of a segment one pair walked on one local day.

    Rows exist for every segment the pair claims (walked or not) and every other segment it
    walked. Coverage "by anyone" is the aggregate over pairs (bit_or of covered_bits), so an upload
    re-check only rewrites its own pair's rows.
    """

    # History is never deleted with what it refers to: end a pair, retire a segment.
    # No index of its own on segment: the unique (segment, pair, day) and (segment, day) indexes
    # lead with it. A third one was only written to, and the planner took it for the tile's day
    # range (filtering every day of the segment) instead of (segment, day).
    segment = models.ForeignKey(
        Segment, on_delete=models.PROTECT, related_name="coverage", db_index=False
    )
    # Nor on pair or office alone: (pair, day) and (office, day) lead with them (migration 0013).
    pair = models.ForeignKey(
        Pair, on_delete=models.PROTECT, related_name="coverage", db_index=False
    )
    street_office = models.ForeignKey(
        StreetOffice, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField(_("日期"))
    claimed = models.BooleanField(_("本组认领"))
    walked_m = models.FloatField(_("走过长度（米）"))
    covered_share = models.FloatField(_("走过比例"))
    covered_bits = BitStringField(_("走过的分段"))
    patrol_count = models.PositiveIntegerField(_("巡查次数"))
    last_patrolled_at = models.DateTimeField(_("最后巡查时间"), null=True, blank=True)

    class Meta:
        db_table = "grids_segmentcoverage"  # kept from before the move
        verbose_name = _("街巷覆盖")
        verbose_name_plural = _("街巷覆盖")
        constraints = [
            models.UniqueConstraint(
                fields=["segment", "pair", "day"], name="coverage_segment_pair_day_unique"
            )
        ]
        indexes = [
            models.Index(fields=["street_office", "day"]),
            models.Index(fields=["pair", "day"]),
            # The tile reads the days outside whole months per segment (the unique index leads
            # with pair after segment, so a day range scans every day of every pair), from the
            # index alone: it carries every column the tile reads of those rows.
            models.Index(
                fields=["segment", "day"],
                include=["covered_bits", "patrol_count", "claimed", "walked_m"],
                name="coverage_segment_day_cover",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.segment_id} {self.pair_id} {self.day} {self.covered_share:.0%}"


class SegmentCoverageMonth(models.Model):
    """Walked coverage of one segment in one calendar month, over every pair (walked rows only):
    what a coverage tile of whole months reads instead of ~30 pair-day rows per segment.

    Kept by statement triggers on grids_segmentcoverage (migration 0011), in the transaction of
    every write to it whoever writes (the evaluation's COPY, the ORM, SQL): claimed and unclaimed
    rows apart, so "the claiming pair's own walks" is the claimed row alone. Never written here.
    """

    # The unique constraint below leads with segment: no separate index.
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="+", db_index=False)
    month = models.DateField(_("月份"))  # the first day of the month
    claimed = models.BooleanField(_("本组认领"))
    n_bits = models.PositiveSmallIntegerField()  # bit_or needs equal lengths: one row per length
    covered_bits = BitStringField(_("走过的分段"))  # bit_or over the month's pair-days
    patrol_count = models.PositiveIntegerField(_("巡查次数"))  # sum over the month's pair-days
    last_patrolled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("街巷月覆盖")
        verbose_name_plural = _("街巷月覆盖")
        constraints = [
            # Carries what a tile reads of a month (an index-only scan): the triggers' updates
            # were not HOT before either (1 % of them), so the fatter entry costs them nothing.
            models.UniqueConstraint(
                fields=["segment", "month", "claimed", "n_bits"],
                include=["covered_bits", "patrol_count"],
                name="coverage_month_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.segment_id} {self.month:%Y-%m} {self.patrol_count}"
