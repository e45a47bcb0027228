"""Hazard reports (隐患上报): categories, reports, photos, the audit trail and Open311 keys.

The workflow lives in `hazards/closed_loop.py`; these models only hold fields, constraints and
indexes. Tables keep their original names (``patrols_hazard*``): the models moved here from
``patrols`` without touching the database.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

from geo.models import Community, Grid, StreetOffice


class HazardCategory(models.Model):
    """One entry of a street office's taxonomy; seeded from the defaults, editable per office."""

    class Speed(models.TextChoices):
        IMMEDIATE = "immediate", _("即时办")
        TIMED = "timed", _("限时办")

    street_office = models.ForeignKey(
        StreetOffice, on_delete=models.CASCADE, related_name="hazard_categories"
    )
    # Also the Open311 service_code.
    code = models.SlugField(_("代码"), max_length=40)
    name = models.CharField(_("名称"), max_length=100)
    description = models.CharField(_("说明"), max_length=300, blank=True, default="")
    department = models.CharField(_("责任部门"), max_length=100, blank=True, default="")
    speed = models.CharField(_("办理时限类型"), max_length=20, choices=Speed.choices)
    deadline_hours = models.PositiveIntegerField(_("办结时限（小时）"))
    response_hours = models.PositiveIntegerField(_("响应时限（小时）"), default=24)
    duplicate_radius_m = models.PositiveIntegerField(_("重复判定半径（米）"), default=50)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        db_table = "patrols_hazardcategory"  # kept from before the move
        verbose_name = _("隐患类别")
        verbose_name_plural = _("隐患类别")
        ordering = ["street_office", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["street_office", "code"], name="hazardcategory_code_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class HazardReport(models.Model):
    class Status(models.TextChoices):
        REPORTED = "reported", _("已上报")
        ACCEPTED = "accepted", _("已立案")
        DISPATCHED = "dispatched", _("已派遣")
        IN_PROGRESS = "in_progress", _("处置中")
        RESOLVED = "resolved", _("已处置")
        VERIFIED = "verified", _("已核查")
        CLOSED = "closed", _("已结案")
        REJECTED = "rejected", _("不予立案")
        DUPLICATE = "duplicate", _("重复上报")
        RETURNED = "returned", _("已退回")
        POSTPONED = "postponed", _("已延期")

    class ReporterKind(models.TextChoices):
        STEWARD = "steward", _("小巷管家")
        RESIDENT = "resident", _("居民")
        ANONYMOUS = "anonymous", _("匿名")

    class Source(models.TextChoices):
        APP = "app", _("本系统")
        OPEN311 = "open311", _("Open311 接口")
        IMPORT = "import", _("文件导入")

    street_office = models.ForeignKey(
        StreetOffice, on_delete=models.CASCADE, related_name="hazard_reports"
    )
    community = models.ForeignKey(
        Community, null=True, blank=True, on_delete=models.SET_NULL, related_name="hazard_reports"
    )
    grid = models.ForeignKey(
        Grid, null=True, blank=True, on_delete=models.SET_NULL, related_name="hazard_reports"
    )
    category = models.ForeignKey(HazardCategory, on_delete=models.PROTECT, related_name="reports")
    description = models.TextField(_("描述"), blank=True, default="")
    address = models.CharField(_("地址"), max_length=300, blank=True, default="")
    # Null only for imported rows whose coordinates were a placeholder (see location_flag).
    location = models.PointField(_("位置"), srid=4326, null=True, blank=True)
    location_flag = models.CharField(
        _("位置问题"),
        max_length=100,
        blank=True,
        default="",
        help_text=_("导入时检测到的默认/占位坐标等问题；非空则不参与热点统计"),
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.REPORTED, db_index=True
    )
    reporter_kind = models.CharField(_("上报人类型"), max_length=20, choices=ReporterKind.choices)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hazard_reports",
    )
    reporter_name = models.CharField(_("上报人"), max_length=100, blank=True, default="")
    reporter_phone = models.CharField(_("联系电话"), max_length=30, blank=True, default="")
    # A grid worker filing on a resident's behalf (网格报单).
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="hazard_reports_filed",
    )
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    department = models.CharField(_("承办部门"), max_length=100, blank=True, default="")
    deadline_at = models.DateTimeField(_("办结期限"), null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(_("满意度评分"), null=True, blank=True)
    rating_comment = models.CharField(_("评价"), max_length=300, blank=True, default="")
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.APP)
    external_id = models.CharField(_("外部编号"), max_length=100, blank=True, default="")
    created_at = models.DateTimeField(_("上报时间"), db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "patrols_hazardreport"  # kept from before the move
        verbose_name = _("隐患上报")
        verbose_name_plural = _("隐患上报")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["street_office", "status"], name="hazard_office_status"),
            models.Index(fields=["street_office", "created_at"], name="hazard_office_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="hazard_rating_1_5",
            ),
            models.UniqueConstraint(
                fields=["street_office", "source", "external_id"],
                condition=~models.Q(external_id=""),
                name="hazard_external_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category} · {self.get_status_display()}"


class HazardPhoto(models.Model):
    class Kind(models.TextChoices):
        REPORT = "report", _("上报照片")
        AFTER = "after", _("整改后照片")

    report = models.ForeignKey(HazardReport, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.REPORT)
    # The public copy: auto-oriented, re-encoded, with no EXIF/GPS metadata.
    image = models.ImageField(upload_to="hazards/photos/%Y/%m/")
    thumbnail = models.ImageField(upload_to="hazards/thumbs/%Y/%m/")
    taken_at = models.DateTimeField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "patrols_hazardphoto"  # kept from before the move
        verbose_name = _("隐患照片")
        verbose_name_plural = _("隐患照片")
        ordering = ["id"]


class HazardEvent(models.Model):
    """The audit trail: one row per transition, never updated."""

    report = models.ForeignKey(HazardReport, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True, default="")
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_role = models.CharField(max_length=20, blank=True, default="")
    note = models.TextField(blank=True, default="")
    at = models.DateTimeField()

    class Meta:
        db_table = "patrols_hazardevent"  # kept from before the move
        verbose_name = _("处置记录")
        verbose_name_plural = _("处置记录")
        ordering = ["at", "id"]


class Open311Key(models.Model):
    """An API key a partner platform (e.g. the 12345 hotline) uses to POST requests."""

    street_office = models.ForeignKey(StreetOffice, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("对接平台"), max_length=100)
    key = models.CharField(max_length=64, unique=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "patrols_open311key"  # kept from before the move
        verbose_name = _("Open311 密钥")
        verbose_name_plural = _("Open311 密钥")

    def __str__(self) -> str:
        return self.name


class HazardDepartmentMember(models.Model):
    """A user who handles cases for one department (部门接单), e.g. 城管 or 房管.

    Departments are not street-office roles (geo.Membership), so they are listed here; a report is
    routed to a department by its category and only that department's members take it.
    """

    street_office = models.ForeignKey(StreetOffice, on_delete=models.CASCADE, related_name="+")
    department = models.CharField(_("部门"), max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hazard_departments"
    )

    class Meta:
        db_table = "patrols_hazarddepartmentmember"  # kept from before the move
        verbose_name = _("部门人员")
        verbose_name_plural = _("部门人员")
        constraints = [
            models.UniqueConstraint(
                fields=["street_office", "department", "user"], name="hazard_dept_member_unique"
            ),
        ]


class HotspotCache(models.Model):
    """A computed hotspot answer, reused until the office's reports (or its boundary) change.

    One row per office and parameter set; `inputs` fingerprints every report field the statistic
    reads, so a new, moved, re-categorised, rejected or deleted report misses the cache.
    """

    street_office = models.ForeignKey(
        StreetOffice, on_delete=models.CASCADE, related_name="hotspot_caches"
    )
    params = models.CharField(max_length=64)
    inputs = models.CharField(max_length=64)
    body = models.TextField(help_text="the answer's JSON text, served as stored")
    seconds = models.FloatField(help_text="time the computation took")
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["street_office", "params"], name="hotspot_cache_office_params_unique"
            ),
        ]
