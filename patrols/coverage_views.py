"""The coverage map: segments coloured by share walked or patrol count over a period, with the
period's figures beside it (also as JSON, ?format=json, for the page to refresh them)."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from geo.access import supervised_office
from patrols.coverage_figures import coverage_figures


def _period(request: HttpRequest) -> tuple[date, date]:
    end = timezone.localdate()

    def day(name: str, default: date) -> date:
        try:
            return date.fromisoformat(request.GET.get(name, ""))
        except ValueError:
            return default

    to = day("to", end)
    start = day("from", to - timedelta(days=6))
    return min(start, to), max(start, to)


@login_required
def coverage_map(request: HttpRequest) -> HttpResponse:
    office = supervised_office(request)
    start, end = _period(request)
    figures = coverage_figures(office.id, start, end)
    if request.GET.get("format") == "json":
        return JsonResponse(figures)
    ext = office.geom.extent  # (minx, miny, maxx, maxy)
    return render(
        request,
        "grids/coverage_map.html",
        {
            "title": _("街巷覆盖地图"),
            "office": office,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "figures": figures,
            "bounds": [[ext[1], ext[0]], [ext[3], ext[2]]],
        },
    )
