from django.db.models import Count, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from geo.district_map import district_map as build_district_map
from geo.maps import render_map_page
from geo.models import Membership, StreetOffice
from geo.tenancy import offices_for


def home(request: HttpRequest) -> HttpResponse:
    offices = (
        StreetOffice.objects.annotate(
            n_segments=Count("segments", distinct=True), km=Sum("segments__length_m") / 1000
        )
        .order_by("code")
        .prefetch_related("communities")
    )
    # Planning pages are linked only for the offices the person plans; the board is public.
    planned = offices_for(request.user, [Membership.Role.PLANNER])
    return render(
        request, "home.html", {"title": _("首页"), "offices": offices, "planned": planned}
    )


def district_map(request: HttpRequest, code: str | None = None) -> HttpResponse:
    office = (
        StreetOffice.objects.filter(code=code).first()
        if code
        else StreetOffice.objects.order_by("id").first()
    )
    if office is None:
        raise Http404(_("还没有导入任何街道。请先运行 manage.py load_demo 或 import_streets。"))
    stats = office.segments.current().aggregate(n=Count("id"), m=Sum("length_m"))
    # The office's name is data: kept out of translation (translate="no"), the sentence is ours.
    intro = _("%(name)s：%(c)d 个社区，%(g)d 个网格，%(n)d 个街巷段，共 %(km).1f 公里") % {
        "name": "\x00",
        "c": office.communities.count(),
        "g": office.grids.count(),
        "n": stats["n"] or 0,
        "km": (stats["m"] or 0) / 1000,
    }
    name = format_html('<span translate="no">{}</span>', office.name)
    intro = mark_safe(escape(intro).replace("\x00", name))  # noqa: S308 - both parts escaped
    return render_map_page(request, build_district_map(office), title=office.name, intro=intro)
