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
