"""The folium map of a street office: communities, grids and segments by road class."""

from __future__ import annotations

import folium
from django.contrib.gis.db.models.functions import AsGeoJSON
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geo.geojson import rows_collection
from geo.maps import add_office_outline, base_map
from geo.models import StreetOffice

COMMUNITY_COLOURS = [
    "#e41a1c",
    "#377eb8",
    "#4daf4a",
    "#984ea3",
    "#ff7f00",
    "#a65628",
    "#f781bf",
    "#999999",
]
ROAD_STYLE = {
    "primary": ("#b03a2e", 4),
    "secondary": ("#d35400", 3.5),
    "tertiary": ("#d68910", 3),
    "residential": ("#2e4053", 2.5),
    "living_street": ("#1f618d", 2.5),
    "service": ("#5d6d7e", 2),
    "pedestrian": ("#117a65", 2.5),
    "footway": ("#148f77", 1.5),
    "path": ("#148f77", 1.5),
    "steps": ("#7d3c98", 1.5),
}
# Road classes as people call them (OSM's highway=* values are stored as they come).
ROAD_LABELS = {
    "primary": gettext_lazy("主干路"),
    "secondary": gettext_lazy("次干路"),
    "tertiary": gettext_lazy("支路"),
    "residential": gettext_lazy("居住区道路"),
    "living_street": gettext_lazy("生活街巷"),
    "service": gettext_lazy("小巷/内部路"),
    "pedestrian": gettext_lazy("步行街"),
    "footway": gettext_lazy("人行道"),
    "path": gettext_lazy("小径"),
    "steps": gettext_lazy("台阶"),
}


def road_class_label(road_class: str) -> str:
    """The class in the reader's language; an unknown OSM value stays as it is."""
    return str(ROAD_LABELS.get(road_class, road_class))


def district_map(office: StreetOffice) -> folium.Map:
    fmap = base_map(office.geom.extent)
    add_office_outline(fmap, office)

    communities = list(
        office.communities.annotate(gj=AsGeoJSON("geom", precision=6)).values(
            "id", "name", "code", "gj"
        )
    )
    colour = {
        c["id"]: COMMUNITY_COLOURS[i % len(COMMUNITY_COLOURS)] for i, c in enumerate(communities)
    }
    for c in communities:
        c["colour"] = colour[c["id"]]
    folium.GeoJson(
        rows_collection(communities),
        name=_("社区"),
        style_function=lambda f: {
            "color": f["properties"]["colour"],
            "weight": 2,
            "fillOpacity": 0.12,
        },
        tooltip=folium.GeoJsonTooltip(["name", "code"], aliases=[_("社区"), _("代码")]),
    ).add_to(fmap)

    grids = list(
        office.grids.annotate(gj=AsGeoJSON("geom", precision=6)).values("name", "code", "gj")
    )
    folium.GeoJson(
        rows_collection(grids),
        name=_("网格"),
        show=False,
        style_function=lambda f: {"color": "#555", "weight": 1, "dashArray": "3 3", "fill": False},
        tooltip=folium.GeoJsonTooltip(["name"], aliases=[_("网格")]),
    ).add_to(fmap)

    segments = list(
        office.segments.current()
        .annotate(gj=AsGeoJSON("geom", precision=6))
        .values("id", "name", "road_class", "length_m", "gj")
    )
    for s in segments:
        s["length_m"] = round(s["length_m"], 1)
        s["name"] = s["name"] or _("无名街巷")
        s["class_label"] = road_class_label(s["road_class"])
    folium.GeoJson(
        rows_collection(segments),
        name=_("街巷段"),
        style_function=lambda f: {
            "color": ROAD_STYLE.get(f["properties"]["road_class"], ("#444", 2))[0],
            "weight": ROAD_STYLE.get(f["properties"]["road_class"], ("#444", 2))[1],
        },
        tooltip=folium.GeoJsonTooltip(
            ["name", "class_label", "length_m"], aliases=[_("街巷"), _("等级"), _("长度(米)")]
        ),
    ).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)

    legend = "".join(
        f'<div><i style="background:{c};height:{w}px"></i>{ROAD_LABELS[k]}</div>'
        for k, (c, w) in ROAD_STYLE.items()
    )
    fmap.get_root().html.add_child(
        folium.Element(
            f'<div class="legend" style="position:absolute;bottom:24px;left:12px;z-index:1000">'
            f"<b>{_('道路等级')}</b>{legend}</div>"
        )
    )
    return fmap
