"""Stewards (小巷管家) and pairs. Tracks, the patrol rule and hazard reports build on these."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from geo.models import Community, StreetOffice


class Steward(models.Model):
    class Status(models.TextChoices):
        APPLIED = "applied", _("已报名")
        REVIEWED = "reviewed", _("已审核")
        APPOINTED = "appointed", _("已聘任（已签承诺书）")
        ACTIVE = "active", _("在岗")
        RESIGNED = "resigned", _("已辞任")
        DISMISSED = "dismissed", _("已解聘")

    street_office = models.ForeignKey(StreetOffice, on_delete=models.CASCADE, related_name="stewards")
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="stewards")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="steward"
    )
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True, default="")
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.APPLIED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("小巷管家")
        verbose_name_plural = _("小巷管家")
        ordering = ["community", "name"]

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
                fields=["steward"], condition=models.Q(left_on__isnull=True), name="one_current_pair_per_steward"
            ),
        ]


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
