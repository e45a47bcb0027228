"""Street offices ⊃ communities ⊃ grids (polygons) and the street/alley segments they contain.

Everything is stored in WGS-84 (SRID 4326); lengths are metres measured on the geography.
"""

from __future__ import annotations

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


class Segment(models.Model):
    """A stretch of street or alley between two intersections: the unit of assignment and coverage."""

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

    class Meta:
        verbose_name = _("街巷段")
        verbose_name_plural = _("街巷段")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="segment_source_unique"),
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
