"""Credit points (积分), credit supermarkets (积分超市) and the quarterly assessment (季度考核).

Workflows live in ``credits/ledger.py`` and ``credits/quarterly.py``; the rules are pure functions
in ``credits/rules.py`` and ``credits/grading.py``. Tables keep their original names
(``patrols_*``): the models moved here without touching the database.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from geo.models import Community, StreetOffice
from stewards.models import Steward


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
        db_table = "patrols_creditsettings"  # kept from before the move
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
        db_table = "patrols_creditsupermarket"  # kept from before the move
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
        db_table = "patrols_pointsentry"  # kept from before the move
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
        db_table = "patrols_pointsbalance"  # kept from before the move
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
        db_table = "patrols_redemption"  # kept from before the move
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
        db_table = "patrols_assessment"  # kept from before the move
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
        db_table = "patrols_replacementtask"  # kept from before the move
        verbose_name = _("补选任务")
        verbose_name_plural = _("补选任务")
        ordering = ["due"]
