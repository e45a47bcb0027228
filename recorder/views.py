"""Pages: the steward's recorder (a PWA at /patrol/) and the supervisors' live map."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from geo.access import supervised_office


@login_required
def live_map(request: HttpRequest) -> HttpResponse:
    office = supervised_office(request)
    return render(
        request,
        "recorder/live_map.html",
        {"title": _("正在巡查"), "office": office},
    )
