"""The district map in a real browser: Leaflet loads offline and draws every segment."""

from __future__ import annotations

import pytest

from demo.district import load_demo_district
from geo.models import Segment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_district_map_draws_communities_and_segments(live_server, chromium_page, tmp_path):
    office = load_demo_district()
    page = chromium_page
    page.goto(f"{live_server.url}/map/")
    page.wait_for_function(
        "() => window.L && document.querySelectorAll('.leaflet-overlay-pane canvas, .leaflet-overlay-pane path').length > 0"
    )
    assert page.evaluate("() => typeof L.map") == "function"
    # prefer_canvas draws on a canvas: count layers through Leaflet instead of SVG paths (the
    # system's base map under them, in its own pane, is not the page's data).
    drawn = page.evaluate(
        """() => { let n = 0; for (const k in window) { const v = window[k];
             if (v && v instanceof L.Map) { v.eachLayer(l => {
               if (l.feature && l.options.pane !== 'basemap') n++; }); } } return n; }"""
    )
    expected = Segment.objects.filter(street_office=office).count() + office.communities.count() + 1
    assert drawn == expected
    assert "五道口演示街道" in page.inner_text(".map-intro")
    page.screenshot(path=str(tmp_path / "district-map.png"))
