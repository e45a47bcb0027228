"""Supervisor pages: the compliance table (with export) and a pair's calendar."""

from __future__ import annotations

import calendar
from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from geo.access import supervised_office
from geo.downloads import csv_download, xlsx_download
from geo.models import Community, Grid
from patrols import compliance
from patrols.models import PairDayVerdict
from patrols.pair_day_map import _may_open
from stewards.models import Pair


@login_required
def compliance_table(request: HttpRequest) -> HttpResponse:
    office = supervised_office(request)
    f = compliance.ComplianceFilter.from_query(request.GET)
    qs = f.apply(office.id)
    export = request.GET.get("export")
    stem = f"compliance-{office.code}-{f.start}-{f.end}"
    if export == "csv":
        return csv_download(compliance.to_csv(qs), stem)
    if export == "xlsx":
        return xlsx_download(compliance.to_xlsx(qs), stem)
    total = qs.count()
    ok = qs.filter(compliant=True).count()
    page = Paginator(qs, 100).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    return render(
        request,
        "patrols/compliance.html",
        {
            "title": _("巡查达标情况"),
            "office": office,
            "f": f,
            "page": page,
            "total": total,
            "ok": ok,
            "rate": round(100 * ok / total, 1) if total else None,
            "communities": Community.objects.filter(street_office=office).order_by("name"),
            "grids": Grid.objects.filter(street_office=office).order_by("name"),
            "query": query.urlencode(),
        },
    )


@login_required
def pair_calendar(request: HttpRequest, pair_id: int) -> HttpResponse:
    # Office staff, and the pair's own stewards (their "my pair calendar"), may open it.
    pair = get_object_or_404(Pair.objects.select_related("street_office"), id=pair_id)
    if not _may_open(request.user, pair):
        raise PermissionDenied(_("您不能查看该组的巡查。"))
    office = pair.street_office
    today = timezone.localdate()
    try:
        first = date.fromisoformat(request.GET.get("month", "") + "-01")
    except ValueError:
        first = today.replace(day=1)
    days_in_month = calendar.monthrange(first.year, first.month)[1]
    last = first.replace(day=days_in_month)
    verdicts = {
        v.day: v for v in PairDayVerdict.objects.filter(pair=pair, day__range=(first, last))
    }
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month):
        weeks.append([(d, verdicts.get(d), d.month == first.month) for d in week])
    prev_month = (first.replace(day=1) - date.resolution).replace(day=1)
    next_month = last + date.resolution
    members = pair.members.filter(left_on__isnull=True).select_related("steward")
    return render(
        request,
        "patrols/pair_calendar.html",
        {
            "title": _("%(pair)s 巡查日历") % {"pair": pair.name},
            "office": office,
            "pair": pair,
            "members": members,
            "month": first,
            "weeks": weeks,
            "prev": prev_month.strftime("%Y-%m"),
            "next": next_month.strftime("%Y-%m"),
            "n_ok": sum(1 for v in verdicts.values() if v.compliant),
            "n_days": len(verdicts),
            "weekdays": [_("一"), _("二"), _("三"), _("四"), _("五"), _("六"), _("日")],
        },
    )
