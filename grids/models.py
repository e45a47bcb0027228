"""Responsibility assignment (认领街巷): which pair answers for which segment, and when."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.utils.translation import gettext_lazy as _

from geo.models import Segment, StreetOffice
from stewards.models import Pair


class DateRange(models.Func):
    """daterange(valid_from, valid_to, '[)'); a NULL valid_to is an open (unbounded) end."""

    function = "DATERANGE"
    output_field = DateRangeField()


class AssignmentChange(models.Model):
    """One planner action (assign, unassign, apply a suggestion, undo) grouping its claim edits.

    Claims are never deleted: a batch creates claims and ends others (sets valid_to); undoing it
    replays its ClaimEvents backwards inside a new batch, so the history itself stays complete.
    """

    class Kind(models.TextChoices):
        ASSIGN = "assign", _("分配")
        UNASSIGN = "unassign", _("取消分配")
        SUGGEST = "suggest", _("采用自动建议")
        UNDO = "undo", _("撤销")
        # The claims a street import carried to new pieces; the import lists its batches
        # (NetworkImport.report["batches"]), so no column was added here.
        NETWORK = "network", _("路网更新")

    street_office = models.ForeignKey(
        StreetOffice, on_delete=models.CASCADE, related_name="assignment_changes"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    note = models.CharField(_("说明"), max_length=300, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    reverts = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reverted_by",
        verbose_name=_("撤销的操作"),
    )

    class Meta:
        verbose_name = _("分配操作")
        verbose_name_plural = _("分配操作")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


def claims_on(day: Any) -> models.Q:
    """Claims in force on ``day`` (valid_to is exclusive, NULL means open-ended)."""
    return models.Q(valid_from__lte=day) & (
        models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=day)
    )


def claims_from(day: Any) -> models.Q:
    """Claims in force on ``day`` or any later day."""
    return models.Q(valid_to__isnull=True) | models.Q(valid_to__gt=day)


class ClaimQuerySet(models.QuerySet):
    def on(self, day: Any) -> ClaimQuerySet:
        return self.filter(claims_on(day))

    def from_day(self, day: Any) -> ClaimQuerySet:
        return self.filter(claims_from(day))


class Claim(models.Model):
    street_office = models.ForeignKey(StreetOffice, on_delete=models.CASCADE, related_name="claims")
    # History is never deleted with what it refers to: end a pair, retire a segment.
    pair = models.ForeignKey(Pair, on_delete=models.PROTECT, related_name="claims")
    segment = models.ForeignKey(Segment, on_delete=models.PROTECT, related_name="claims")
    valid_from = models.DateField(_("生效日期"))
    valid_to = models.DateField(
        _("失效日期"), null=True, blank=True, help_text=_("不含当日；空表示长期有效")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    change = models.ForeignKey(
        AssignmentChange,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claims",
        verbose_name=_("创建它的操作"),
    )

    objects = ClaimQuerySet.as_manager()

    class Meta:
        verbose_name = _("认领")
        verbose_name_plural = _("认领")
        indexes = [models.Index(fields=["pair", "valid_from"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="claim_valid_range",
            ),
            # No segment is claimed by two pairs on the same day, whoever writes (needs btree_gist).
            # A voided claim has valid_to == valid_from: an empty range that overlaps nothing.
            ExclusionConstraint(
                name="claim_no_double_claim",
                expressions=[
                    ("segment", RangeOperators.EQUAL),
                    (DateRange("valid_from", "valid_to", RangeBoundary()), RangeOperators.OVERLAPS),
                ],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pair_id} · {self.segment_id} · {self.valid_from}–{self.valid_to or ''}"


class ClaimEvent(models.Model):
    """What one AssignmentChange did to one claim, with enough state to undo it."""

    class Action(models.TextChoices):
        CREATED = "created", _("新建")
        ENDED = "ended", _("结束")
        RESTORED = "restored", _("恢复")

    change = models.ForeignKey(AssignmentChange, on_delete=models.CASCADE, related_name="events")
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=10, choices=Action.choices)
    old_valid_to = models.DateField(null=True, blank=True)
    new_valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["change", "id"]

    def __str__(self) -> str:
        return f"{self.action} {self.claim_id}"
