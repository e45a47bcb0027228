"""Street offices ⊃ communities ⊃ grids (polygons) and the street/alley segments they contain.

Everything is stored in WGS-84 (SRID 4326); lengths are metres measured on the geography.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _


class AreaBase(models.Model):
    name = models.CharField(_("名称"), max_length=200)
    code = models.CharField(_("代码"), max_length=64, help_text=_("官方代码或导入来源中的编号"))
    geom = models.MultiPolygonField(_("范围"), srid=4326)
    source = models.CharField(_("来源"), max_length=200, blank=True, default="")
    attributes = models.JSONField(_("其他属性"), default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class StreetOffice(AreaBase):
    """街道办事处: the tenant. Every object in the system belongs to exactly one."""

    class Meta(AreaBase.Meta):
        verbose_name = _("街道")
        verbose_name_plural = _("街道")
        constraints = [
            models.UniqueConstraint(fields=["code"], name="streetoffice_code_unique"),
            models.CheckConstraint(
                condition=models.Q(geom__isvalid=True), name="streetoffice_geom_valid"
            ),
        ]


class Community(AreaBase):
    """社区."""

    street_office = models.ForeignKey(
        StreetOffice, on_delete=models.CASCADE, related_name="communities", verbose_name=_("街道")
    )

    class Meta(AreaBase.Meta):
        verbose_name = _("社区")
        verbose_name_plural = _("社区")
        constraints = [
            models.UniqueConstraint(fields=["street_office", "code"], name="community_code_unique"),
            models.CheckConstraint(
                condition=models.Q(geom__isvalid=True), name="community_geom_valid"
            ),
        ]


class Grid(AreaBase):
    """网格: the smallest management unit, served by a grid worker."""

    community = models.ForeignKey(
        Community, on_delete=models.CASCADE, related_name="grids", verbose_name=_("社区")
    )
    # Denormalised from community so tenancy filters need no join.
    street_office = models.ForeignKey(
        StreetOffice, on_delete=models.CASCADE, related_name="grids", verbose_name=_("街道")
    )

    class Meta(AreaBase.Meta):
        verbose_name = _("网格")
        verbose_name_plural = _("网格")
        constraints = [
            models.UniqueConstraint(fields=["street_office", "code"], name="grid_code_unique"),
            models.CheckConstraint(condition=models.Q(geom__isvalid=True), name="grid_geom_valid"),
        ]


# Segments that existed before the network was versioned count as valid since this day.
NETWORK_EPOCH = dt.date(2000, 1, 1)


class NetworkImport(models.Model):
    """One street import that changed the network (a network version, like a MapIt generation).

    Segments record the import that created them and the one that retired them; ``counts`` and
    ``report`` keep what the planner saw (classes, affected claims), so history can be read back.
    """

    source = models.CharField(_("数据集"), max_length=200)
    file_name = models.CharField(_("文件"), max_length=300, blank=True, default="")
    imported_on = models.DateField(_("生效日期"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    counts = models.JSONField(_("统计"), default=dict, blank=True)
    report = models.JSONField(_("变更报告"), default=dict, blank=True)
    undone_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("路网导入")
        verbose_name_plural = _("路网导入")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source} #{self.pk} {self.imported_on}"


def segments_on(day: Any) -> models.Q:
    """Segments that are part of the network on ``day`` (retired_on is exclusive)."""
    return models.Q(valid_from__lte=day) & (
        models.Q(retired_on__isnull=True) | models.Q(retired_on__gt=day)
    )


def segments_during(start: Any, end: Any) -> models.Q:
    """Segments that are part of the network on at least one day of [start, end]."""
    return models.Q(valid_from__lte=end) & (
        models.Q(retired_on__isnull=True) | models.Q(retired_on__gt=start)
    )


# The same conditions for raw SQL on geo_segment aliased ``s``: parameters %(day)s / %(start)s, %(end)s.
SQL_SEGMENT_ON_DAY = (
    "(s.valid_from <= %(day)s AND (s.retired_on IS NULL OR s.retired_on > %(day)s))"
)
SQL_SEGMENT_DURING = (
    "(s.valid_from <= %(end)s AND (s.retired_on IS NULL OR s.retired_on > %(start)s))"
)


class SegmentQuerySet(models.QuerySet):
    def current(self) -> SegmentQuerySet:
        """The network as it stands: segments not retired."""
        return self.filter(retired_on__isnull=True)

    def valid_on(self, day: Any) -> SegmentQuerySet:
        return self.filter(segments_on(day))

    def valid_during(self, start: Any, end: Any) -> SegmentQuerySet:
        return self.filter(segments_during(start, end))

    def change_days(self, start: Any, end: Any) -> set[dt.date]:
        """Days in (start, end] on which the network changed (a segment began or was retired)."""
        began = self.filter(valid_from__gt=start, valid_from__lte=end).values_list("valid_from")
        ended = self.filter(retired_on__gt=start, retired_on__lte=end).values_list("retired_on")
        return {d for (d,) in began.union(ended)}


class Segment(models.Model):
    """A stretch of street or alley between two intersections: the unit of assignment and coverage.

    Segments are versioned, never deleted: a re-import retires the pieces that changed
    (``retired_on``, ``retired_by``) and adds new ones (``valid_from``, ``imported_by``), so claims,
    coverage and verdicts of past days keep the geometry they were measured on.
    """

    name = models.CharField(_("街巷名"), max_length=200, blank=True, default="")
    road_class = models.CharField(_("道路等级"), max_length=40, db_index=True)
    source = models.CharField(_("数据集"), max_length=200)
    source_id = models.CharField(_("来源编号"), max_length=100)
    geom = models.LineStringField(_("线形"), srid=4326)
    length_m = models.FloatField(_("长度（米）"))
    street_office = models.ForeignKey(
        StreetOffice,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="segments",
        verbose_name=_("街道"),
    )
    community = models.ForeignKey(
        Community,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="segments",
        verbose_name=_("社区"),
    )
    grid = models.ForeignKey(
        Grid,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="segments",
        verbose_name=_("网格"),
    )
    updated_at = models.DateTimeField(auto_now=True)
    valid_from = models.DateField(_("启用日期"), default=NETWORK_EPOCH)
    retired_on = models.DateField(
        _("停用日期"), null=True, blank=True, help_text=_("不含当日；空表示仍在使用")
    )
    imported_by = models.ForeignKey(
        NetworkImport,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="created_segments",
        verbose_name=_("新增它的导入"),
    )
    retired_by = models.ForeignKey(
        NetworkImport,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="retired_segments",
        verbose_name=_("停用它的导入"),
    )

    objects = SegmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("街巷段")
        verbose_name_plural = _("街巷段")
        ordering = ["id"]
        indexes = [models.Index(fields=["source", "retired_on"], name="segment_source_retired")]
        constraints = [
            # Only the segments in use are unique by source id; retired ones keep theirs as history.
            models.UniqueConstraint(
                fields=["source", "source_id"],
                condition=models.Q(retired_on__isnull=True),
                name="segment_source_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(retired_on__isnull=True)
                | models.Q(retired_on__gte=models.F("valid_from")),
                name="segment_valid_range",
            ),
            models.CheckConstraint(
                condition=models.Q(length_m__gte=0), name="segment_length_nonnegative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name or _('无名街巷')} ({self.length_m:.0f} m)"


class Membership(models.Model):
    """A user's role in one street office; all access control derives from these rows."""

    class Role(models.TextChoices):
        PLANNER = "planner", _("街道规划员")
        SUPERVISOR = "supervisor", _("督查员")
        GRID_WORKER = "grid_worker", _("网格员/社区")
        STEWARD = "steward", _("小巷管家")

    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="memberships")
    street_office = models.ForeignKey(
        StreetOffice, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    community = models.ForeignKey(
        Community,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        verbose_name=_("社区"),
        help_text=_("网格员/社区工作人员所属社区"),
    )

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "street_office", "role"], name="membership_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.street_office}"
