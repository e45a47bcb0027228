"""The supervisor's hazard map: density heatmap, Gi* hot/cold hexagons, and the reports themselves."""

from __future__ import annotations

import folium
from django.utils.translation import gettext as _
from folium.plugins import HeatMap

from geo.geojson import feature, feature_collection
from geo.maps import _static, add_office_outline, base_map
from geo.models import StreetOffice
from hazards.models import HazardReport

HOTSPOT_STYLE = {
    "hot": {"fillColor": "#d7301f", "color": "#7f0000", "weight": 3, "fillOpacity": 0.55},
    "cold": {"fillColor": "#2b8cbe", "color": "#023858", "weight": 3, "fillOpacity": 0.45},
    "ns": {"fillColor": "#ffffff", "color": "#999999", "weight": 0.3, "fillOpacity": 0.0},
}


HOTSPOT_PANE = "hotspots"
REPORT_PANE = "reports"


class LocalHeatMap(HeatMap):
    """folium's HeatMap, but leaflet-heat comes from our static files (the browser may be offline)."""

    default_js = [("leaflet-heat.js", _static("vendor/leaflet-heat.js"))]


def hazard_map(
    office: StreetOffice, reports: list[HazardReport], hotspot_cells: dict | None
) -> folium.Map:
    fmap = base_map(office.geom.extent)
    add_office_outline(fmap, office)
    # The heat map draws its canvas in Leaflet's overlay pane (z-index 400); the Gi* hexagons and
    # the reports get panes of their own above it, or the one hot hexagon hides under the heat.
    folium.map.CustomPane(HOTSPOT_PANE, z_index=450, pointer_events=True).add_to(fmap)
    folium.map.CustomPane(REPORT_PANE, z_index=460, pointer_events=True).add_to(fmap)
    pts = [[r.location.y, r.location.x] for r in reports if r.location]
    if pts:
        LocalHeatMap(pts, name=_("密度热力图"), radius=18, blur=22, min_opacity=0.3).add_to(fmap)
    if hotspot_cells:
        folium.GeoJson(
            hotspot_cells,
            name=_("Gi* 热点/冷点"),
            pane=HOTSPOT_PANE,
            style_function=lambda f: HOTSPOT_STYLE[f["properties"]["class"]],
            tooltip=folium.GeoJsonTooltip(
                fields=["count", "z", "p_sim", "class"],
                aliases=[_("上报数"), "z", "p (sim)", _("类别")],
            ),
        ).add_to(fmap)
    features = [
        feature(
            {"type": "Point", "coordinates": [r.location.x, r.location.y]},
            {
                "id": r.pk,
                "title": f"#{r.pk} {r.category.name}",
                "status": r.get_status_display(),
                "description": r.description[:80],
            },
        )
        for r in reports
        if r.location
    ]
    if features:
        folium.GeoJson(
            feature_collection(features),
            name=_("上报"),
            pane=REPORT_PANE,
            marker=folium.CircleMarker(
                radius=5, color="#6a1b9a", fill=True, fill_opacity=0.9, pane=REPORT_PANE
            ),
            popup=folium.GeoJsonPopup(fields=["title", "status", "description"], labels=False),
        ).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    return fmap
