"""The public GeoJSON API of segments and areas: bbox filter, pagination, filters, schema."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from demo.district import load_demo_district
from geo.models import Segment

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    return load_demo_district()


def test_segments_are_geojson_with_bbox_filter(demo):
    bbox = (116.315, 40.000, 116.320, 40.004)
    data = (
        APIClient()
        .get("/api/geo/segments/", {"in_bbox": ",".join(map(str, bbox)), "limit": 5000})
        .json()
    )
    assert data["type"] == "FeatureCollection"
    expected = Segment.objects.filter(geom__bboverlaps=_bbox_poly(bbox)).count()
    assert 0 < data["count"] == expected < Segment.objects.count()
    for feature in data["features"]:
        xs = [c[0] for c in feature["geometry"]["coordinates"]]
        ys = [c[1] for c in feature["geometry"]["coordinates"]]
        assert (
            max(xs) >= bbox[0] and min(xs) <= bbox[2] and max(ys) >= bbox[1] and min(ys) <= bbox[3]
        )
        assert feature["properties"]["length_m"] > 0


def _bbox_poly(b):
    from django.contrib.gis.geos import Polygon

    return Polygon.from_bbox(b)


def test_segments_paginate(demo):
    first = APIClient().get("/api/geo/segments/", {"limit": 100}).json()
    assert len(first["features"]) == 100 and first["count"] == Segment.objects.count()
    second = APIClient().get(first["next"]).json()
    assert {f["id"] for f in first["features"]}.isdisjoint({f["id"] for f in second["features"]})


def test_filter_segments_by_community(demo):
    community = demo.communities.order_by("code").first()
    data = APIClient().get("/api/geo/segments/", {"community": community.id, "limit": 5000}).json()
    assert data["count"] == community.segments.count()
    assert {f["properties"]["community"] for f in data["features"]} == {community.id}


def test_areas_endpoints(demo):
    client = APIClient()
    offices = client.get("/api/geo/street-offices/").json()
    assert offices["features"][0]["properties"]["code"] == "DEMO-WDK"
    assert offices["features"][0]["geometry"]["type"] == "MultiPolygon"
    communities = client.get("/api/geo/communities/", {"street_office": demo.id}).json()
    assert communities["count"] == 6
    grids = client.get("/api/geo/grids/", {"community": communities["features"][0]["id"]}).json()
    assert grids["count"] == 4


def test_network_is_read_only_for_anonymous_users(demo):
    seg = Segment.objects.first()
    response = APIClient().patch(f"/api/geo/segments/{seg.id}/", {"name": "x"}, format="json")
    assert response.status_code in (401, 403, 405)


def test_openapi_schema_lists_the_geo_endpoints(demo):
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/geo/segments/" in paths and "/api/geo/communities/" in paths
