"""The steward registry: stewards (小巷管家), their pairs (一组两人) and the programme's settings.

Tables keep their original names (``patrols_*``): the models moved here from ``patrols`` without
touching the database (see ``docs/design/layout.md``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
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
    # Keyed HMAC of the ID-card number (stewards.idcard.digest): detects duplicates, reveals nothing.
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
        db_table = "patrols_steward"  # kept from before the move
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


def membership_on(day: Any, prefix: str = "") -> models.Q:
    """A PairMember row (reached through ``prefix``, e.g. "pair__members__") in its pair on ``day``
    (a date, or an expression such as F("day")): joined_on <= day < left_on."""
    return models.Q(**{f"{prefix}joined_on__lte": day}) & (
        models.Q(**{f"{prefix}left_on__isnull": True}) | models.Q(**{f"{prefix}left_on__gt": day})
    )


def pair_exists_on(day: Any, prefix: str = "") -> models.Q:
    """A Pair (reached through ``prefix``) formed on or before ``day`` and not dissolved by then."""
    return models.Q(**{f"{prefix}formed_on__lte": day}) & (
        models.Q(**{f"{prefix}dissolved_on__isnull": True})
        | models.Q(**{f"{prefix}dissolved_on__gt": day})
    )


class PairMemberQuerySet(models.QuerySet):
    def on(self, day: Any) -> PairMemberQuerySet:
        """The memberships in force on ``day`` (a member who left that day no longer counts)."""
        return self.filter(membership_on(day))

    def current(self) -> PairMemberQuerySet:
        return self.filter(left_on__isnull=True)


class Pair(models.Model):
    """一组: the stewards who patrol their claimed alleys together (two by default)."""

    street_office = models.ForeignKey(StreetOffice, on_delete=models.CASCADE, related_name="pairs")
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="pairs")
    name = models.CharField(_("组名"), max_length=50)
    formed_on = models.DateField(_("成立日期"))
    dissolved_on = models.DateField(_("解散日期"), null=True, blank=True)
    stewards = models.ManyToManyField(Steward, through="PairMember", related_name="pairs")

    class Meta:
        db_table = "patrols_pair"  # kept from before the move
        verbose_name = _("巡查组")
        verbose_name_plural = _("巡查组")
        ordering = ["community", "name"]

    def __str__(self) -> str:
        return self.name


class PairMember(models.Model):
    pair = models.ForeignKey(Pair, on_delete=models.CASCADE, related_name="members")
    # Who walked with whom is history too: a steward who was in a pair is ended, not deleted.
    steward = models.ForeignKey(Steward, on_delete=models.PROTECT, related_name="memberships")
    joined_on = models.DateField(_("加入日期"))
    left_on = models.DateField(_("离开日期"), null=True, blank=True)

    objects = PairMemberQuerySet.as_manager()

    class Meta:
        db_table = "patrols_pairmember"  # kept from before the move
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
        db_table = "patrols_stewardstatuschange"  # kept from before the move
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
        db_table = "patrols_programmesettings"  # kept from before the move
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


class SheetImport(models.Model):
    """A sign-up sheet posted for import. The file itself (it carries ID numbers, which are never
    stored in the database) waits under MEDIA_ROOT/sheets/ until its job has run, then is removed;
    the checksum recognises the same sheet posted again."""

    street_office = models.ForeignKey(StreetOffice, on_delete=models.CASCADE, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(max_length=255)
    checksum = models.CharField(max_length=64)
    stored_as = models.CharField(max_length=100, blank=True)  # file name under MEDIA_ROOT/sheets/
    job_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("报名表导入")
        verbose_name_plural = _("报名表导入")
        indexes = [models.Index(fields=["street_office", "checksum"], name="sheet_import_checksum")]

    def __str__(self) -> str:
        return f"{self.filename} ({self.created_at:%Y-%m-%d})"
