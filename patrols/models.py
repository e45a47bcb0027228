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
                fields=["steward"],
                condition=models.Q(left_on__isnull=True),
                name="one_current_pair_per_steward",
            ),
        ]


# --- Hazard reports ---
from patrols.hazard_models import (  # noqa: E402, F401
    HazardCategory,
    HazardDepartmentMember,
    HazardEvent,
    HazardPhoto,
    HazardReport,
    Open311Key,
)
