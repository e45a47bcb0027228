"""Folium maps that work offline: Leaflet comes from our own static files, never a CDN.

Every map page builds its map with `base_map()` and renders it with `render_map_page()`.
"""

from __future__ import annotations

import json
from typing import Any

import folium
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

TILE_URL = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"
TILE_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)


def _static(path: str) -> str:
    return (
        f"{settings.STATIC_URL.rstrip('/')}/{path}"
        if settings.STATIC_URL.startswith("/")
        else f"/{settings.STATIC_URL}{path}"
    )


def base_map(bounds: tuple[float, float, float, float] | None = None, **kwargs: Any) -> folium.Map:
    """A folium map fitted to (minx, miny, maxx, maxy) in WGS-84, loading Leaflet locally."""
    fmap = folium.Map(tiles=None, control_scale=True, prefer_canvas=True, **kwargs)
    fmap.default_js = [("leaflet", _static("leaflet/leaflet.js"))]
    fmap.default_css = [("leaflet_css", _static("leaflet/leaflet.css"))]
    folium.TileLayer(TILE_URL, attr=TILE_ATTRIBUTION, name="OpenStreetMap", max_zoom=19).add_to(
        fmap
    )
    if bounds:
        minx, miny, maxx, maxy = bounds
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    return fmap


def add_office_outline(fmap: folium.Map, office: Any) -> None:
    """The street office's boundary as a dashed outline (every office-wide map starts with it)."""
    folium.GeoJson(
        json.loads(office.geom.geojson),
        name=office.name,
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
