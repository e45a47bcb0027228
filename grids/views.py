"""Pages: the planner's assignment map, planning coverage, and the public 责任分布牌."""

from __future__ import annotations

import folium
import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from geo.geojson import feature_collection
from geo.maps import base_map, render_map_page
from geo.models import Community, Grid, StreetOffice
from geo.tenancy import WRITE_ROLES, offices_for
from grids import board_renders, boards, planning, tasks
from jobs.queue import enqueue_once
from jobs.status import follow_in_session

STATE_LABELS = {
    "assigned": gettext_lazy("已认领"),
    "unassigned": gettext_lazy("未认领"),
    "fragmented": gettext_lazy("所属组不连片"),
    "overlong": gettext_lazy("所属组过长"),
}


def _own_community(request: HttpRequest, community: int) -> Community:
    return get_object_or_404(
        Community.objects.filter(street_office_id__in=offices_for(request.user)), pk=community
    )


@login_required
def assign_page(request: HttpRequest, community: int) -> HttpResponse:
    """Segments coloured by pair; click or draw to select, assign, undo, suggest."""
    comm = _own_community(request, community)
    return render(
        request,
        "grids/assign.html",
        {
            "title": _("街巷认领分配 · %(name)s") % {"name": comm.name},
            "community": comm,
            "communities": Community.objects.filter(
                street_office_id=comm.street_office_id
            ).order_by("name"),
            "can_write": comm.street_office_id in offices_for(request.user, WRITE_ROLES),
            "palette": boards.PALETTE,
            "unassigned_colour": boards.UNASSIGNED_COLOUR,
        },
    )


@login_required
def coverage_page(request: HttpRequest, street_office: int) -> HttpResponse:
    if street_office not in offices_for(request.user):
        raise Http404
    office = get_object_or_404(StreetOffice, pk=street_office)
    fmap = base_map(office.geom.extent)
    styles = {
        "assigned": ("#59a14f", 3), "unassigned": ("#d62728", 5), "fragmented": ("#f28e2b", 4),
        "overlong": ("#b07aa1", 4),
    }  # fmt: skip
    fc = planning.coverage_features(office.pk)
    for state, (colour, weight) in styles.items():
        subset = feature_collection(x for x in fc["features"] if x["properties"]["state"] == state)
        if subset["features"]:
            folium.GeoJson(
                subset, name=str(STATE_LABELS[state]),
                style_function=lambda _f, c=colour, w=weight: {"color": c, "weight": w, "opacity": 0.9},
                tooltip=folium.GeoJsonTooltip(fields=["name", "pair"], aliases=[_("街巷"), _("组")]),
            ).add_to(fmap)  # fmt: skip
    folium.LayerControl(collapsed=False).add_to(fmap)
    return render_map_page(
        request, fmap, title=_("认领覆盖情况 · %(name)s") % {"name": office.name}, template="grids/coverage.html",
        office=office, cov=planning.coverage(office.pk),
        legend=[(STATE_LABELS[k], c) for k, (c, _w) in styles.items()],
    )  # fmt: skip


def public_url(request: HttpRequest, comm: Community, grid: Grid | None = None) -> str:
    """The board's address for its QR code: on the configured public site (ALLEY_PUBLIC_URL),
    else where this request came in. Without a language prefix: a sign in the street serves
    everyone, and the page follows the reader's browser language from there."""
    with override(settings.LANGUAGE_CODE):
        path = reverse("grids:board", args=[comm.pk])
    if grid is not None:
        path += f"?grid={grid.pk}"
    base = getattr(settings, "ALLEY_PUBLIC_URL", "")
    return base + path if base else request.build_absolute_uri(path)


def _board_context(request: HttpRequest, community: int, *, inline: bool) -> dict:
    comm = get_object_or_404(Community, pk=community)
    grid = None
    if value := request.GET.get("grid"):
        grid = get_object_or_404(Grid, pk=value, community=comm)
    url = public_url(request, comm, grid)
    data = boards.board_data(comm, grid)
    paper = "A4" if request.GET.get("paper") == "A4" else "A3"
    ctx = {
        "title": _("责任分布牌 · %(name)s")
        % {"name": comm.name + (f" · {grid.name}" if grid else "")},
        "board": data,
        "community": comm,
        "grid": grid,
        "grids": comm.grids.order_by("name"),
        "page_url": url,
        "qr_svg": segno.make(url, error="m").svg_inline(scale=3, dark="#222"),
        "paper": paper,
        "inline": inline,
    }
    if inline:
        ctx["leaflet_js"] = boards.inline_static("leaflet/leaflet.js")
        ctx["leaflet_css"] = boards.inline_static("leaflet/leaflet.css")
    return ctx


def board_page(request: HttpRequest, community: int) -> HttpResponse:
    """Public: no login, no tenancy; only what the physical board shows."""
    return render(request, "grids/board.html", _board_context(request, community, inline=False))


def board_download(request: HttpRequest, community: int, fmt: str) -> HttpResponse:
    """The board as PDF or PNG, printed by headless chromium in a job from a self-contained page.

    An unchanged board's finished render is sent at once; otherwise this answers 202 with a page
    that follows the render job and then offers the file (the board is public, so is the job)."""
    ctx = _board_context(request, community, inline=True)
    html = render(request, "grids/board.html", ctx).content.decode()
    # A PDF is laid out in the page's printable area (10 mm margins) at 96 px an inch, so the map
    # is drawn at the size it prints at; a PNG is the whole sheet.
    if fmt == "pdf":
        size = (1512, 1047) if ctx["paper"] == "A3" else (1047, 718)
    else:
        size = (1587, 1123) if ctx["paper"] == "A3" else (1123, 794)
    key = board_renders.render_key(html, fmt, size)
    if board_renders.output_path(community, key, fmt).exists():
        return board_file(request, community, key, fmt)
    with transaction.atomic():
        page = board_renders.page_path(community, key)
        if not page.exists():
            board_renders.write_atomically(page, html.encode())
        job_id = enqueue_once(
            tasks.render_board, f"board-render:{key}",
            requested_by=request.user if request.user.is_authenticated else None,
            community=community, key=key, fmt=fmt, width=size[0], height=size[1],
        )  # fmt: skip
    follow_in_session(request, job_id)
    return render(
        request,
        "grids/board_wait.html",
        {
            "title": ctx["title"],
            "community": ctx["community"],
            "fmt": fmt.upper(),
            "job_id": job_id,
            "href": reverse("grids:board-render", args=[community, key, fmt]),
            "back": request.get_full_path().replace(f"board.{fmt}", "", 1),
        },
        status=202,
    )


def board_file(request: HttpRequest, community: int, key: str, fmt: str) -> HttpResponse:
    """A finished render of this community's board (anyone may see the board, so its print)."""
    path = board_renders.output_path(community, key, fmt)
    if not board_renders.is_key(key) or fmt not in board_renders.FORMATS or not path.exists():
        raise Http404(_("没有这份责任分布牌文件，请回到责任分布牌重新下载。"))
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=f"board-{community}.{fmt}",
        content_type=board_renders.FORMATS[fmt],
    )  # fmt: skip
