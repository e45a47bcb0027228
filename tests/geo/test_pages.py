"""The district map page (folium/Leaflet) and the home page."""

from __future__ import annotations

import json

import pytest

from demo.district import load_demo_district

pytestmark = pytest.mark.django_db


def test_district_map_page_embeds_a_local_leaflet_map(client):
    office = load_demo_district()
    html = client.get("/map/").content.decode()
    assert "/static/leaflet/leaflet.js" in html
    assert "cdn.jsdelivr" not in html  # works without internet
    assert "L.map(" in html
    for community in office.communities.all():
        # folium writes GeoJSON with \u escapes
        assert json.dumps(community.name)[1:-1] in html
    assert "OpenStreetMap" in html


def test_map_page_without_data_explains_what_to_do(client):
    response = client.get("/map/")
    assert response.status_code == 404


def test_home_lists_street_offices_in_chinese_and_english(client):
    load_demo_district()
    html = client.get("/").content.decode()
    assert "五道口演示街道" in html and "小巷管家" in html
    english = client.get("/en/").content.decode()
    assert 'lang="en"' in english
    assert "District map" in english and "街区地图" in html
