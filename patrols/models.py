"""Stewards (小巷管家) and pairs. Tracks, the patrol rule and hazard reports build on these."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.gis.db import models as gis_models
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from geo.models import Community, StreetOffice


class Steward(models.Model):
    class Gender(models.TextChoices):
        MALE = "M", _("男")
        FEMALE = "F", _("女")

    class PoliticalStatus(models.TextChoices):
        PARTY_MEMBER = "cpc", _("中共党员")
        PROBATIONARY = "cpc_probationary", _("中共预备党员")
        LEAGUE = "league", _("共青团员")
        DEMOCRATIC_PARTY = "democratic", _("民主党派")
        MASSES = "masses", _("群众")

    class Employment(models.TextChoices):
        EMPLOYED = "employed", _("在职")
        RETIRED = "retired", _("退休")
        OTHER = "other", _("其他")

    class Status(models.TextChoices):
        APPLIED = "applied", _("已报名")
        REVIEWED = "reviewed", _("已审核")
        APPOINTED = "appointed", _("已聘任（已签承诺书）")
        ACTIVE = "active", _("在岗")
        RESIGNED = "resigned", _("已辞任")
        DISMISSED = "dismissed", _("已解聘")

    street_office = models.ForeignKey(
        StreetOffice, on_delete=models.CASCADE, related_name="stewards"
    )
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="stewards")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="steward",
    )
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True, default="")
    status = models.CharField(
        _("状态"), max_length=20, choices=Status.choices, default=Status.APPLIED
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # The fields of the official sign-up form (河北区《“小巷管家”报名表》, 附件1).
    gender = models.CharField(
        _("性别"), max_length=1, choices=Gender.choices, blank=True, default=""
    )
    birth_date = models.DateField(_("出生年月"), null=True, blank=True)
    ethnicity = models.CharField(_("民族"), max_length=20, blank=True, default="")
    political_status = models.CharField(
        _("政治面貌"), max_length=20, choices=PoliticalStatus.choices, blank=True, default=""
    )
    education = models.CharField(_("文化程度"), max_length=20, blank=True, default="")
    # Keyed HMAC of the ID-card number (patrols.idcard.digest): detects duplicates, reveals nothing.
    # The number itself is never stored, shown or returned.
    id_card_digest = models.CharField(max_length=64, blank=True, default="", editable=False)
    health = models.CharField(_("健康状况"), max_length=50, blank=True, default="")
    employment = models.CharField(
        _("在职/退休"), max_length=10, choices=Employment.choices, blank=True, default=""
    )
    employer = models.CharField(_("工作单位"), max_length=200, blank=True, default="")
    address = models.CharField(_("家庭住址"), max_length=300, blank=True, default="")
    claimed_alleys = models.CharField(
        _("认领街巷（报名表）"), max_length=300, blank=True, default=""
    )
    work_history = models.TextField(_("工作经历"), blank=True, default="")
    volunteer_history = models.TextField(_("志愿服务经历"), blank=True, default="")
    status_changed_on = models.DateField(_("状态变更日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("小巷管家")
        verbose_name_plural = _("小巷管家")
        ordering = ["community", "name"]
        constraints = [
            # One registration per person and street office (same ID number -> same digest).
            models.UniqueConstraint(
                fields=["street_office", "id_card_digest"],
                condition=~models.Q(id_card_digest=""),
                name="steward_idcard_unique_per_office",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Pair(models.Model):
    """一组: the stewards who patrol their claimed alleys together (two by default)."""

    street_office = models.ForeignKey(StreetOffice, on_delete=models.CASCADE, related_name="pairs")
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="pairs")
    name = models.CharField(_("组名"), max_length=50)
    formed_on = models.DateField(_("成立日期"))
    dissolved_on = models.DateField(_("解散日期"), null=True, blank=True)
    stewards = models.ManyToManyField(Steward, through="PairMember", related_name="pairs")

    class Meta:
        verbose_name = _("巡查组")
        verbose_name_plural = _("巡查组")
        ordering = ["community", "name"]

    def __str__(self) -> str:
        return self.name


class PairMember(models.Model):
    pair = models.ForeignKey(Pair, on_delete=models.CASCADE, related_name="members")
    steward = models.ForeignKey(Steward, on_delete=models.CASCADE, related_name="memberships")
    joined_on = models.DateField(_("加入日期"))
    left_on = models.DateField(_("离开日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("组员")
        verbose_name_plural = _("组员")
        constraints = [
            # A steward is in at most one current pair; history rows have left_on set.
            models.UniqueConstraint(
                fields=["steward"],
                condition=models.Q(left_on__isnull=True),
                name="one_current_pair_per_steward",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pair_id} · {self.steward_id}"


class StewardStatusChange(models.Model):
    """Lifecycle history: applied → reviewed → appointed → active → resigned / dismissed."""

    steward = models.ForeignKey(Steward, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(
        _("原状态"), max_length=20, choices=Steward.Status.choices, blank=True
    )
    to_status = models.CharField(_("新状态"), max_length=20, choices=Steward.Status.choices)
    effective_on = models.DateField(_("生效日期"))
    note = models.CharField(_("备注"), max_length=300, blank=True, default="")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("状态变更")
        verbose_name_plural = _("状态变更")
        ordering = ["steward", "changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.steward_id}: {self.from_status} → {self.to_status}"


class ProgrammeSettings(models.Model):
    """Per-street-office settings of the steward programme (defaults from the 2019 Hebei rules)."""

    class PhoneDisplay(models.TextChoices):
        FULL = "full", _("完整显示")
        MASKED = "masked", _("部分隐藏（138****5678）")

    street_office = models.OneToOneField(
        StreetOffice, on_delete=models.CASCADE, related_name="programme_settings"
    )
    pair_size = models.PositiveSmallIntegerField(_("每组人数"), default=2)
    phone_display = models.CharField(
        _("责任牌电话显示"), max_length=10, choices=PhoneDisplay.choices, default=PhoneDisplay.FULL
    )
    max_pair_length_m = models.FloatField(
        _("每组认领街巷总长上限（米）"),
        default=8000,
        help_text=_("超过即在覆盖分析中标为过长；默认按每天巡查2小时、步行约4公里/小时计"),
    )

    class Meta:
        verbose_name = _("管家工作设置")
        verbose_name_plural = _("管家工作设置")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pair_size__gte=1), name="programme_pair_size_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.street_office_id}"

    @classmethod
    def for_office(cls, street_office_id: int) -> ProgrammeSettings:
        """The office's settings, or unsaved defaults (no write on read)."""
        found = cls.objects.filter(street_office_id=street_office_id).first()
        return found or cls(street_office_id=street_office_id)


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

    steward = models.ForeignKey(Steward, on_delete=models.CASCADE, related_name="track_uploads")
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
        Steward, on_delete=models.CASCADE, related_name="tracks", db_index=False
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


# --- Credit points and assessment ---
# Self-contained block (issue #7): the points ledger (积分), credit supermarkets (积分超市) and the
# quarterly assessment (季度考核). Workflows live in patrols/ledger.py and patrols/quarterly.py; the
# rules are pure functions in patrols/credits.py and patrols/grading.py.
from django.utils import timezone  # noqa: E402


class CreditSettings(models.Model):
    """A street office's points rules and assessment weights (JSON; missing keys use the documented
    defaults of ``credits.PointsRules`` and ``assessment.AssessmentParams``)."""

    street_office = models.OneToOneField(
        StreetOffice, on_delete=models.CASCADE, related_name="credit_settings"
    )
    points_rules = models.JSONField(_("积分规则"), default=dict, blank=True)
    assessment_params = models.JSONField(_("考核权重与阈值"), default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("积分与考核设置")
        verbose_name_plural = _("积分与考核设置")


class CreditSupermarket(models.Model):
    """积分超市: where stewards redeem points for goods."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="credit_supermarkets"
    )
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=300, blank=True, default="")
    active = models.BooleanField(_("营业中"), default=True)

    class Meta:
        verbose_name = _("积分超市")
        verbose_name_plural = _("积分超市")
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="supermarket_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class PointsEntry(models.Model):
    """One line of the append-only ledger. Never updated or deleted (a trigger refuses it);
    a mistake is fixed by a new ``correction`` entry."""

    class Kind(models.TextChoices):
        EARNED_PATROL_DAY = "earned_patrol_day", _("达标巡查日")
        EARNED_MINUTES = "earned_minutes", _("巡查时长")
        EARNED_REPORT = "earned_report", _("上报隐患核实")
        EARNED_CASE = "earned_case", _("案件办结")
        REDEMPTION = "redemption", _("积分兑换")
        CORRECTION = "correction", _("更正")

    # PROTECT: ledger lines outlive nothing; a steward with points history is dismissed, not deleted.
    steward = models.ForeignKey(Steward, on_delete=models.PROTECT, related_name="points_entries")
    street_office = models.ForeignKey(StreetOffice, on_delete=models.PROTECT, related_name="+")
    amount = models.IntegerField(_("积分"))
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices)
    # What the entry is for, e.g. "pairday:12:2026-07-01", "report:55", "redemption:9".
    reference = models.CharField(_("依据"), max_length=100)
    note = models.CharField(_("说明"), max_length=300, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("记账时间"), default=timezone.now)

    class Meta:
        verbose_name = _("积分记录")
        verbose_name_plural = _("积分记录")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Awarding twice for the same fact is a no-op (ON CONFLICT DO NOTHING).
            models.UniqueConstraint(
                fields=["steward", "kind", "reference"], name="points_entry_once"
            ),
            models.CheckConstraint(condition=~models.Q(amount=0), name="points_entry_nonzero"),
        ]
        indexes = [models.Index(fields=["street_office", "created_at"])]

    def __str__(self) -> str:
        return f"{self.steward_id} {self.amount:+d} {self.kind}"


class PointsBalance(models.Model):
    """The running balance per steward, kept in the same transaction as every ledger insert.

    It is the row redemptions race on: a conditional UPDATE (balance >= points) plus the CHECK
    below make a negative balance impossible even with concurrent redemptions."""

    steward = models.OneToOneField(
        Steward, on_delete=models.PROTECT, primary_key=True, related_name="points_balance"
    )
    balance = models.IntegerField(_("积分余额"), default=0)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("积分余额")
        verbose_name_plural = _("积分余额")
        constraints = [
            models.CheckConstraint(condition=models.Q(balance__gte=0), name="points_balance_nonneg")
        ]


class Redemption(models.Model):
    steward = models.ForeignKey(Steward, on_delete=models.PROTECT, related_name="redemptions")
    supermarket = models.ForeignKey(
        CreditSupermarket, on_delete=models.PROTECT, related_name="redemptions"
    )
    items = models.CharField(_("兑换物品"), max_length=300)
    points = models.PositiveIntegerField(_("消耗积分"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("兑换时间"), default=timezone.now)

    class Meta:
        verbose_name = _("积分兑换")
        verbose_name_plural = _("积分兑换")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(points__gt=0), name="redemption_points_pos")
        ]


class Assessment(models.Model):
    """季度考核: one steward's score and grade for one quarter, with the inputs and reasons."""

    class Grade(models.TextChoices):
        EXCELLENT = "excellent", _("优秀")
        COMPETENT = "competent", _("称职")
        INCOMPETENT = "incompetent", _("不称职")

    steward = models.ForeignKey(Steward, on_delete=models.CASCADE, related_name="assessments")
    street_office = models.ForeignKey(StreetOffice, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    quarter = models.CharField(_("季度"), max_length=6, help_text="2026Q3")
    score = models.DecimalField(_("得分"), max_digits=5, decimal_places=1, null=True, blank=True)
    # Null = 数据不足，不评定: "no grade" is a state of its own, not an empty grade.
    grade = models.CharField(  # noqa: DJ001
        _("等级"), max_length=20, choices=Grade.choices, null=True, blank=True
    )
    reasons = models.JSONField(_("理由"), default=list)
    inputs = models.JSONField(_("考核数据"), default=dict)
    formula_version = models.CharField(_("公式版本"), max_length=40)
    computed_at = models.DateTimeField(_("计算时间"))
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("季度考核")
        verbose_name_plural = _("季度考核")
        ordering = ["quarter", "community", "-score"]
        constraints = [
            models.UniqueConstraint(
                fields=["steward", "quarter"], name="assessment_once_per_quarter"
            ),
            models.CheckConstraint(
                condition=models.Q(quarter__regex=r"^[0-9]{4}Q[1-4]$"),
                name="assessment_quarter_format",
            ),
        ]
        indexes = [models.Index(fields=["street_office", "quarter"])]


class ReplacementTask(models.Model):
    """不称职即辞退，一个月内重新招募: opened when an incompetent grade is confirmed."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="+")
    street_office = models.ForeignKey(StreetOffice, on_delete=models.CASCADE, related_name="+")
    steward = models.ForeignKey(Steward, on_delete=models.CASCADE, related_name="replacement_tasks")
    assessment = models.OneToOneField(
        Assessment, on_delete=models.CASCADE, related_name="replacement_task"
    )
    opened_at = models.DateTimeField(_("发起时间"))
    due = models.DateField(_("限期"))
    closed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True, default="")

    class Meta:
        verbose_name = _("补选任务")
        verbose_name_plural = _("补选任务")
        ordering = ["due"]


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
        Pair, on_delete=models.CASCADE, related_name="verdicts", verbose_name=_("巡查组")
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


# --- Hazard reports ---
from patrols.hazard_models import (  # noqa: E402, F401
    HazardCategory,
    HazardDepartmentMember,
    HazardEvent,
    HazardPhoto,
    HazardReport,
    Open311Key,
)
