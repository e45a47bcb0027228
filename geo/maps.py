"""Folium maps that work offline: Leaflet comes from our own static files, never a CDN, and the
map under the data is the system's own base map (streets, outlines, labels: `geo.basemap`).

Every map page builds its map with `base_map()` and renders it with `render_map_page()`.
"""

from __future__ import annotations

import json
from typing import Any

import folium
from branca.element import MacroElement
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import format_html
from folium.elements import JSCSSMixin
from folium.template import Template


def _static(path: str) -> str:
    return (
        f"{settings.STATIC_URL.rstrip('/')}/{path}"
        if settings.STATIC_URL.startswith("/")
        else f"/{settings.STATIC_URL}{path}"
    )


class SystemBaseMap(JSCSSMixin, MacroElement):
    """Adds the system's base map (and the metric scale bar) to a folium map: basemap.js."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "AlleyBasemap.add({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "SystemBaseMap"
        self.default_js = [("alley_basemap", _static("alley/basemap.js"))]


def base_map(bounds: tuple[float, float, float, float] | None = None, **kwargs: Any) -> folium.Map:
    """A folium map fitted to (minx, miny, maxx, maxy) in WGS-84, loading Leaflet locally, over
    the system's own base map (no online tiles; basemap.js adds one only if configured)."""
    fmap = folium.Map(tiles=None, control_scale=False, prefer_canvas=True, **kwargs)
    fmap.default_js = [("leaflet", _static("leaflet/leaflet.js"))]
    fmap.default_css = [("leaflet_css", _static("leaflet/leaflet.css"))]
    SystemBaseMap().add_to(fmap)
    if bounds:
        minx, miny, maxx, maxy = bounds
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    return fmap


def add_office_outline(fmap: folium.Map, office: Any) -> None:
    """The street office's boundary as a dashed outline (every office-wide map starts with it)."""
    folium.GeoJson(
        json.loads(office.geom.geojson),
        name=format_html('<span translate="no">{}</span>', office.name),
        style_function=lambda f: {
            "color": "#c0392b",
            "weight": 3,
            "fill": False,
            "dashArray": "8 4",
        },
    ).add_to(fmap)


def render_map_page(
    request: HttpRequest,
    fmap: folium.Map,
    *,
    title: str,
    template: str = "map_page.html",
    **context: Any,
) -> HttpResponse:
    """Embed a folium map (header, body, script) in one of our Django templates."""
    root = fmap.get_root()
    root.render()
    context.update(
        title=title,
        map_header=root.header.render(),
        map_html=root.html.render(),
        map_script=root.script.render(),
    )
    return render(request, template, context)
