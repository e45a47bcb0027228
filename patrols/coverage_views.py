"""The coverage map: segments coloured by share walked or patrol count over a period."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from geo.access import supervised_office


@login_required
def coverage_map(request: HttpRequest) -> HttpResponse:
    office = supervised_office(request)
    end = timezone.localdate()
    ext = office.geom.extent  # (minx, miny, maxx, maxy)
    return render(
        request,
        "grids/coverage_map.html",
        {
            "title": _("街巷覆盖地图"),
            "office": office,
            "start": request.GET.get("from") or (end - timedelta(days=6)).isoformat(),
            "end": request.GET.get("to") or end.isoformat(),
            "bounds": [[ext[1], ext[0]], [ext[3], ext[2]]],
        },
    )
