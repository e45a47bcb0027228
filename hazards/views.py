"""Pages: the mobile reporting form and the supervisor's hazard map with KPIs."""

from __future__ import annotations

from datetime import datetime, time

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from geo.models import Membership, StreetOffice
from hazards import closed_loop as hazards
from hazards.api.views import hotspot_payload
from hazards.case_views import status_counts
from hazards.kpis import DEFINITIONS, kpis
from hazards.maps import hazard_map
from hazards.models import HazardReport

R = Membership.Role
# The default list: everything not yet closed, including verified cases awaiting closure.
ACTIVE_STATUSES = hazards.OPEN_STATUSES | {HazardReport.Status.VERIFIED}
# Acts that judge the rectification photo (or supply it) are taken on the case page, where the
# photos before and after are shown, never blind from the list.
ON_CASE_PAGE_ONLY = frozenset(
    {HazardReport.Status.RESOLVED, HazardReport.Status.VERIFIED, HazardReport.Status.CLOSED}
)


def _on_case_page_only(report: HazardReport, to: str) -> bool:
    # Judging a resolved case (verify or send back) needs its photos too.
    return to in ON_CASE_PAGE_ONLY or report.status == HazardReport.Status.RESOLVED


def _office_for(request: HttpRequest) -> StreetOffice | None:
    code = request.GET.get("office")
    if code:
        return StreetOffice.objects.filter(code=code).first()
    ids = hazards._hazard_office_ids(request.user)
    qs = StreetOffice.objects.filter(pk__in=ids) if ids else StreetOffice.objects.all()
    return qs.order_by("id").first()


def report_page(request: HttpRequest) -> HttpResponse:
    office = _office_for(request)
    if office is None:
        return render(request, "hazards/report.html", {"title": _("上报隐患"), "office": None})
    hazards.ensure_default_categories(office)
    is_staff = request.user.is_authenticated and hazards.user_has_office_role(
        request.user, office.id, {R.GRID_WORKER, R.SUPERVISOR}
    )
    c = office.geom.centroid
    return render(
        request,
        "hazards/report.html",
        {
            "title": _("上报隐患"),
            "office": office,
            "categories": office.hazard_categories.filter(active=True),
            "is_staff": is_staff,
            "centre": (c.y, c.x),
            "bounds": office.geom.extent,
        },
    )


def _pct(row: dict) -> dict:
    """Rates as percentages with two decimals (整改率 is quoted like 98.36%), or — when undefined."""
    for k in ("rectification_rate", "on_time_closure_rate", "satisfaction_rate"):
        row[k + "_pct"] = "—" if row[k] is None else f"{row[k] * 100:.2f}%"
    return row


def _day(raw: str | None, *, end: bool = False) -> datetime | None:
    d = parse_date(raw or "")
    if d is None:
        return None
    return timezone.make_aware(datetime.combine(d, time.max if end else time.min))


@login_required
def supervisor_map(request: HttpRequest) -> HttpResponse:
    office = _office_for(request)
    if office is None or not hazards.user_has_office_role(
        request.user, office.id, {R.SUPERVISOR, R.PLANNER, R.GRID_WORKER}
    ):
        raise PermissionDenied(_("只有本街道的督查员、规划员或网格员可以查看隐患地图。"))
    qs = HazardReport.objects.filter(street_office=office).select_related("category")
    cat = request.GET.get("category") or ""
    start, end = _day(request.GET.get("start")), _day(request.GET.get("end"), end=True)
    shown = qs.exclude(status__in=[HazardReport.Status.DUPLICATE, HazardReport.Status.REJECTED])
    if cat:
        shown = shown.filter(category__code=cat)
    if start:
        shown = shown.filter(created_at__gte=start)
    if end:
        shown = shown.filter(created_at__lte=end)
    payload, code = hotspot_payload(request, office)
    fmap = hazard_map(office, list(shown[:20000]), payload.get("cells") if code == 200 else None)
    root = fmap.get_root()
    root.render()
    return render(
        request,
        "hazards/supervisor_map.html",
        {
            "title": _("隐患热点地图"),
            "office": office,
            "categories": office.hazard_categories.all(),
            "category": cat,
            "start": request.GET.get("start", ""),
            "end": request.GET.get("end", ""),
            "cell_m": request.GET.get("cell_m", "150"),
            "alpha": request.GET.get("alpha", "0.05"),
            "hot": payload if code == 200 else None,
            # 202: a large run is a job; the page follows it and reloads to draw its answer.
            "hot_job": payload if code == 202 else None,
            "refusal": payload.get("detail") if code not in (200, 202) else None,
            "kpi_rows": [_pct(r) for r in kpis(qs, level="community", start=start, end=end)],
            "kpi_total": ([_pct(r) for r in kpis(qs, start=start, end=end)] or [None])[0],
            "definitions": DEFINITIONS,
            "n_overdue": hazards.overdue(qs).count(),
            "n_shown": shown.count(),
            "map_header": root.header.render(),
            "map_html": root.html.render(),
            "map_script": root.script.render(),
        },
    )


@login_required
def cases(request: HttpRequest) -> HttpResponse:
    """The case list of everyone who handles reports: a filter by status with counts (default: not
    yet closed, so verified cases awaiting closure stay in view), deadlines, overdue, quick acts."""
    visible = hazards.visible_reports(request.user)
    qs = visible.select_related("category", "community", "grid")
    status = request.GET.get("status", "active")
    if status == "active":
        qs = qs.filter(status__in=ACTIVE_STATUSES)
    elif status == "open":
        qs = qs.filter(status__in=hazards.OPEN_STATUSES)
    elif status == "overdue":
        qs = hazards.overdue(qs)
    elif status in HazardReport.Status.values:
        qs = qs.filter(status=status)
    else:
        status = "all"
    counts = status_counts(visible)
    rows = list(qs.order_by(F("deadline_at").asc(nulls_last=True), "-created_at")[:200])
    allowed = hazards.allowed_transitions_bulk(rows, request.user)
    now = timezone.now()
    items = [
        {
            "r": r,
            "overdue": r.deadline_at is not None
            and r.deadline_at < now
            and r.status in hazards.PENDING_STATUSES,
            "actions": [
                (to, hazards.action_label(r.status, to))
                for to in allowed[r.pk]
                if not _on_case_page_only(r, to)
            ],
            "on_case_page": [
                hazards.action_label(r.status, to)
                for to in allowed[r.pk]
                if _on_case_page_only(r, to)
            ],
            "can_rate": r.reporter_id == request.user.pk
            and r.status in (HazardReport.Status.CLOSED, HazardReport.Status.VERIFIED),
        }
        for r in rows
    ]
    filters = [
        ("active", _("未结案"), sum(counts.get(s, 0) for s in ACTIVE_STATUSES)),
        ("overdue", _("超期"), hazards.overdue(visible).count()),
        *[(v, label, counts.get(v, 0)) for v, label in HazardReport.Status.choices],
        ("all", _("全部"), sum(counts.values())),
    ]
    return render(
        request,
        "hazards/cases.html",
        {
            "title": _("隐患工单"),
            "items": items,
            "status": status,
            "filters": filters,
            "n_total": qs.count(),
        },
    )
