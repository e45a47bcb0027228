"""Pages: the steward's recorder (a PWA at /patrol/) and the supervisors' live map.

The recorder page, its web app manifest and its service worker live under /patrol/ (and
/en/patrol/), so the worker's scope is the app and nothing else on the site.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _

from geo.access import supervised_office
from stewards.models import Steward

SHELL_STATIC = [
    "alley/site.css",
    "leaflet/leaflet.css",
    "leaflet/leaflet.js",
    "alley/basemap.js",
    "recorder/patrol.js",
    "recorder/icon-192.png",
    "recorder/icon-512.png",
]


def batch_seconds() -> int:
    """How often the phone sends its batch (the page's ?interval= overrides it, for tests)."""
    return int(getattr(settings, "ALLEY_RECORDER_BATCH_SECONDS", 20))


def _strings() -> dict[str, str]:
    """The words patrol.js shows, in the page's language."""
    return {
        "recording": _("正在记录"),
        "idle": _("未在巡查"),
        "offline": _("离线：定位照常记录，联网后自动补传"),
        "online": _("已联网"),
        "pending": _("待上传批次"),
        "all_sent": _("全部已上传"),
        "batches_waiting": _("%(n)s 批（联网后自动上传）"),
        "confirm_stop": _("再按一次，结束巡查"),
        "finishing": _("正在结束：上传剩余数据…"),
        "finished": _("本次巡查已结束并保存。"),
        "compliant": _("今天已达标"),
        "not_compliant": _("今天尚未达标"),
        "no_gps": _("无法获取定位：请允许本网站使用位置信息，并打开手机定位。"),
        "partner_not_recording": _("搭档未在记录"),
        "metres": _("米"),
        "minutes": _("分钟"),
        "rejected": _("服务器拒收一批数据"),
    }


@login_required
def patrol(request: HttpRequest) -> HttpResponse:
    steward = Steward.objects.filter(user=request.user).select_related("street_office").first()
    return render(
        request,
        "recorder/patrol.html",
        {
            "title": _("巡查记录"),
            "steward": steward,
            "interval": batch_seconds(),
            "strings": json.dumps(_strings(), ensure_ascii=False),
        },
    )


def manifest(request: HttpRequest) -> JsonResponse:
    start = reverse("recorder:patrol")
    body = {
        "name": _("小巷管家 · 巡查记录"),
        "short_name": _("巡查记录"),
        "start_url": start,
        "scope": start,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": "#1e6b34",
        "icons": [
            {"src": static(f"recorder/icon-{n}.png"), "sizes": f"{n}x{n}", "type": "image/png"}
            for n in (192, 512)
        ],
    }
    return JsonResponse(
        body, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False}
    )


def service_worker(request: HttpRequest) -> HttpResponse:
    shell = [reverse("recorder:patrol"), reverse("recorder:manifest")]
    shell += [static(p) for p in SHELL_STATIC]
    response = render(
        request,
        "recorder/sw.js",
        {"shell": json.dumps(shell), "page": json.dumps(reverse("recorder:patrol"))},
        content_type="application/javascript",
    )
    response["Cache-Control"] = "no-cache"  # a new deploy's worker is picked up at once
    return response


@login_required
def live_map(request: HttpRequest) -> HttpResponse:
    office = supervised_office(request)
    return render(
        request,
        "recorder/live_map.html",
        {"title": _("正在巡查"), "office": office},
    )
