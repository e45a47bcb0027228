"""Closed-loop KPIs per street office, community or grid and period, in one aggregate query.

Definitions (shown on the KPI page; `DEFINITIONS` is the single source):
reports received in the period = created in [start, end), duplicates excluded.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import (
    Avg,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
)
from django.utils.translation import gettext_lazy as _

from hazards.models import HazardReport

S = HazardReport.Status

DEFINITIONS = {
    "rectification_rate": _(
        "整改率 = 已整改并核查通过（已核查或已结案）的件数 ÷ 已立案件数。不予立案和重复上报不计入分母。"
    ),
    "on_time_closure_rate": _("按期办结率 = 在办结期限内结案的件数 ÷ 已结案件数。"),
    "response_rate": _(
        "响应率 = 在类别响应时限内（默认 24 小时）作出立案、不予立案或重复认定的件数 ÷ 收到的件数。"
    ),
    "resolution_rate": _("办结率 = 已处置（上传整改后照片）的件数 ÷ 已立案件数。"),
    "satisfaction_rate": _("满意率 = 评分 4 星及以上的件数 ÷ 已评价件数。"),
}

LEVELS = {
    "street_office": ("street_office_id", "street_office__name"),
    "community": ("community_id", "community__name"),
    "grid": ("grid_id", "grid__name"),
}


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def kpis(
    qs: QuerySet[HazardReport],
    *,
    level: str = "street_office",
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[dict]:
    key, name = LEVELS[level]
    qs = qs.exclude(status=S.DUPLICATE)
    if start:
        qs = qs.filter(created_at__gte=start)
    if end:
        qs = qs.filter(created_at__lt=end)
    response_limit = ExpressionWrapper(
        F("category__response_hours") * Value(timedelta(hours=1)), output_field=DurationField()
    )
    rows = (
        qs.annotate(
            response_time=ExpressionWrapper(
                F("responded_at") - F("created_at"), output_field=DurationField()
            ),
            response_limit=response_limit,
        )
        .values(key, name)
        .annotate(
            received=Count("id"),
            accepted=Count("id", filter=Q(accepted_at__isnull=False)),
            rectified=Count("id", filter=Q(status__in=[S.VERIFIED, S.CLOSED])),
            resolved=Count("id", filter=Q(resolved_at__isnull=False)),
            closed=Count("id", filter=Q(status=S.CLOSED)),
            closed_on_time=Count("id", filter=Q(status=S.CLOSED, closed_at__lte=F("deadline_at"))),
            responded_in_time=Count(
                "id",
                filter=Q(responded_at__isnull=False, response_time__lte=F("response_limit")),
            ),
            rated=Count("id", filter=Q(rating__isnull=False)),
            satisfied=Count("id", filter=Q(rating__gte=4)),
            mean_rating=Avg("rating"),
        )
        .order_by(key)
    )
    out = []
    for r in rows:
        out.append(
            {
                "id": r[key],
                "name": r[name] or str(_("（未落入网格）")),
                **{
                    k: r[k]
                    for k in (
                        "received",
                        "accepted",
                        "rectified",
                        "resolved",
                        "closed",
                        "closed_on_time",
                        "responded_in_time",
                        "rated",
                        "satisfied",
                    )
                },
                "mean_rating": round(r["mean_rating"], 2) if r["mean_rating"] else None,
                "rectification_rate": _rate(r["rectified"], r["accepted"]),
                "on_time_closure_rate": _rate(r["closed_on_time"], r["closed"]),
                "response_rate": _rate(r["responded_in_time"], r["received"]),
                "resolution_rate": _rate(r["resolved"], r["accepted"]),
                "satisfaction_rate": _rate(r["satisfied"], r["rated"]),
            }
        )
    return out
