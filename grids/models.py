"""Responsibility assignment (认领街巷): which pair answers for which segment, and when."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from geo.models import Segment, StreetOffice
from patrols.models import Pair


class Claim(models.Model):
    street_office = models.ForeignKey(StreetOffice, on_delete=models.CASCADE, related_name="claims")
    pair = models.ForeignKey(Pair, on_delete=models.CASCADE, related_name="claims")
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="claims")
    valid_from = models.DateField(_("生效日期"))
    valid_to = models.DateField(_("失效日期"), null=True, blank=True, help_text=_("不含当日；空表示长期有效"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("认领")
        verbose_name_plural = _("认领")
        indexes = [models.Index(fields=["pair", "valid_from"])]


class BitStringField(models.Field):
    """PostgreSQL `varbit`, as a Python str of '0'/'1': one bit per piece of a segment, so a
    period's walked share is `bit_count(bit_or(covered_bits))` over its days, exactly."""

    description = "bit string"

    def db_type(self, connection) -> str:
        return "varbit"


class SegmentCoverage(models.Model):
    """How much of a segment one pair walked on one local day.

    Rows exist for every segment the pair claims (walked or not) and every other segment it
    walked. Coverage "by anyone" is the aggregate over pairs (bit_or of covered_bits), so an upload
    re-check only rewrites its own pair's rows.
    """

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="coverage")
    pair = models.ForeignKey(Pair, on_delete=models.CASCADE, related_name="coverage")
    street_office = models.ForeignKey(StreetOffice, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("日期"))
    claimed = models.BooleanField(_("本组认领"))
    walked_m = models.FloatField(_("走过长度（米）"))
    covered_share = models.FloatField(_("走过比例"))
    covered_bits = BitStringField(_("走过的分段"))
    patrol_count = models.PositiveIntegerField(_("巡查次数"))
    last_patrolled_at = models.DateTimeField(_("最后巡查时间"), null=True, blank=True)

    class Meta:
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
        ]

    def __str__(self) -> str:
        return f"{self.segment_id} {self.pair_id} {self.day} {self.covered_share:.0%}"
