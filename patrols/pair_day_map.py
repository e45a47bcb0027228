"""One pair-day on a map: the claimed alleys (walked or not), the members' tracks, the verdict.

Supervising staff of the street office and the pair's own members may open it. Raw tracks follow
patrols.tracks.access: a supervisor sees every member's, a steward only their own, a planner or
grid worker none (the page then says so); claims, coverage and the verdict are not raw positions.
"""

from __future__ import annotations

from datetime import date, timedelta

import folium
import numpy as np
import shapely
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from geo.access import SUPERVISING_ROLES
from geo.geojson import feature, feature_collection
from geo.local_days import local_day_bounds, local_today
from geo.maps import base_map, render_map_page
from geo.models import Segment, StreetOffice
from geo.tenancy import offices_for
from patrols.evaluation import claimed_segments, members_on, params_for_office
from patrols.models import PairDayVerdict, SegmentCoverage
from patrols.tracks.access import visible_stewards
from patrols.tracks.store import load_points
from patrols.verdict_text import localise
from stewards.models import Pair, Steward

MEMBER_COLOURS = ["#8e44ad", "#e67e22", "#16a085", "#2c3e50"]
WALKED_COLOUR, UNWALKED_COLOUR = "#27ae60", "#95a5a6"
# Drawn lines are simplified to ~2 m: a 2-hour walk at 1 Hz stays a few hundred vertices.
DRAW_TOLERANCE_DEG = 2e-5


def may_open_pair(user, pair: Pair) -> bool:
    """Supervising staff of the pair's office, or one of the pair's members."""
    if pair.street_office_id in offices_for(user, SUPERVISING_ROLES):
        return True
    return pair.members.filter(steward__user=user).exists()


def _pieces(t: np.ndarray, lon: np.ndarray, lat: np.ndarray, gap_s: float) -> list[list]:
    """Polylines for drawing ([lat, lon] pairs), broken where the recording paused."""
    if t.size < 2:
        return []
    cuts = np.flatnonzero(np.diff(t) > gap_s) + 1
    out = []
    for a, b in zip(np.r_[0, cuts], np.r_[cuts, t.size], strict=True):
        if b - a < 2:
            continue
        line = shapely.simplify(
            shapely.linestrings(lon[a:b], lat[a:b]), DRAW_TOLERANCE_DEG, preserve_topology=False
        )
        out.append([[y, x] for x, y in shapely.get_coordinates(line).tolist()])
    return out


NO_POINTS = (np.zeros(0), np.zeros(0), np.zeros(0))


def _map_bounds(
    segments: list[Segment], visible: list[int], points: dict, office: StreetOffice
) -> tuple[float, float, float, float]:
    """Around the claimed alleys and the visible tracks; the street office when there are none."""
    geoms = [shapely.from_wkb(bytes(s.geom.wkb)) for s in segments]
    for sid in visible:
        t, lon, lat = points.get(sid, NO_POINTS)
        if t.size:
            geoms.append(shapely.multipoints(np.column_stack([lon, lat])))
    if geoms:
        minx, miny, maxx, maxy = shapely.total_bounds(geoms).tolist()
    else:
        minx, miny, maxx, maxy = office.geom.extent
    return minx, miny, maxx, maxy


def _claimed_layer(segments: list[Segment], walked: dict[int, float]) -> folium.FeatureGroup:
    """The claimed alleys, green when at least half was walked, with name and walked % tooltips."""
    claimed = folium.FeatureGroup(name=_("认领街巷"))
    features = [
        feature(
            s.geom.geojson,
            {"name": s.name or _("无名街巷"), "walked": round(100 * walked.get(s.id, 0.0))},
        )
        for s in segments
    ]
    if features:
        folium.GeoJson(
            feature_collection(features),
            style_function=lambda f: {
                "color": WALKED_COLOUR if f["properties"]["walked"] >= 50 else UNWALKED_COLOUR,
                "weight": 6,
                "opacity": 0.7,
            },
            tooltip=folium.GeoJsonTooltip(
                fields=["name", "walked"], aliases=[_("街巷"), _("走过 %")]
            ),
        ).add_to(claimed)
    return claimed


def _add_member_tracks(
    fmap: folium.Map,
    member_ids: list[int],
    visible: list[int],
    points: dict,
    names: dict[int, str],
    gap_s: float,
) -> list[dict]:
    """One layer per member whose track the viewer may see; returns the legend (hidden ones too)."""
    legend = []
    for k, sid in enumerate(member_ids):
        colour = MEMBER_COLOURS[k % len(MEMBER_COLOURS)]
        if sid not in visible:
            legend.append({"name": names.get(sid, ""), "colour": colour, "hidden": True})
            continue
        t, lon, lat = points.get(sid, NO_POINTS)
        group = folium.FeatureGroup(name=names.get(sid, str(sid)))
        for piece in _pieces(t, lon, lat, gap_s):
            folium.PolyLine(piece, color=colour, weight=3, opacity=0.9).add_to(group)
        group.add_to(fmap)
        legend.append(
            {"name": names.get(sid, ""), "colour": colour, "hidden": False, "points": int(t.size)}
        )
    return legend


@login_required
def pair_day_map(request: HttpRequest, pair_id: int, day: str) -> HttpResponse:
    try:
        the_day = date.fromisoformat(day)
    except ValueError:
        raise Http404(_("日期格式应为 YYYY-MM-DD。")) from None
    pair = get_object_or_404(Pair.objects.select_related("street_office"), id=pair_id)
    member_ids = members_on(the_day, [pair.id]).get(pair.id, [])
    if not may_open_pair(request.user, pair):
        raise PermissionDenied(_("您不能查看该组的巡查。"))
    office = pair.street_office
    params = params_for_office(office.id)
    verdict = PairDayVerdict.objects.filter(pair=pair, day=the_day).first()
    if verdict is not None:
        localise([verdict], params)

    seg_ids = claimed_segments(the_day, [pair.id]).get(pair.id, [])
    segments = list(Segment.objects.filter(id__in=seg_ids).only("id", "name", "geom", "length_m"))
    walked = dict(
        SegmentCoverage.objects.filter(pair=pair, day=the_day, segment_id__in=seg_ids).values_list(
            "segment_id", "covered_share"
        )
    )
    visible = visible_stewards(request.user, member_ids)
    start, end = local_day_bounds(the_day, params.timezone)
    points = load_points(visible, start, end) if visible else {}
    names = dict(Steward.objects.filter(id__in=member_ids).values_list("id", "name"))

    fmap = base_map(_map_bounds(segments, visible, points, office))
    _claimed_layer(segments, walked).add_to(fmap)
    legend = _add_member_tracks(fmap, member_ids, visible, points, names, params.gap_tolerance_s)
    folium.LayerControl(collapsed=True).add_to(fmap)

    return render_map_page(
        request,
        fmap,
        title=_("%(pair)s · %(day)s 巡查地图") % {"pair": pair.name, "day": the_day.isoformat()},
        template="patrols/pair_day_map.html",
        pair=pair,
        office=office,
        day=the_day,
        verdict=verdict,
        legend=legend,
        walked_colour=WALKED_COLOUR,
        unwalked_colour=UNWALKED_COLOUR,
        n_segments=len(segments),
        **_day_links(request.user, pair, the_day),
    )


def _day_links(user, pair: Pair, day: date) -> dict:
    """The day before and after (not beyond today), the pair's month and, for supervisors, the
    compliance list of the pair: the ways on from a pair-day."""
    today = local_today()
    nxt = day + timedelta(days=1)
    supervisor = pair.street_office_id in offices_for(user, SUPERVISING_ROLES)
    query = f"?office={pair.street_office.code}"
    return {
        "prev_day": day - timedelta(days=1),
        "next_day": nxt if nxt <= today else None,
        "calendar_url": reverse("patrols:pair-calendar", args=[pair.id])
        + f"{query}&month={day:%Y-%m}",
        "compliance_url": (
            reverse("patrols:compliance")
            + f"{query}&pair={pair.id}&from={day - timedelta(days=6)}&to={day}"
            if supervisor
            else None
        ),
    }
