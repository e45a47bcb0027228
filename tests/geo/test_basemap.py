"""The system's own base map: streets with names, area outlines and labels, from PostGIS."""

from __future__ import annotations

import pytest

from demo.district import load_demo_district
from geo.basemap import BasemapQuery

pytestmark = pytest.mark.django_db


def _bbox(office) -> str:
    minx, miny, maxx, maxy = office.geom.extent
    return f"{minx},{miny},{maxx},{maxy}"


def _kinds(data: dict) -> dict[tuple, int]:
    out: dict[tuple, int] = {}
    for f in data["features"]:
        key = (f["properties"]["kind"], f["properties"].get("of"))
        out[key] = out.get(key, 0) + 1
    return out


def test_streets_outlines_and_labels_follow_the_zoom(client):
    office = load_demo_district()
    far = client.get("/api/geo/basemap/", {"bbox": _bbox(office), "z": 13}).json()
    near = client.get("/api/geo/basemap/", {"bbox": _bbox(office), "z": 17}).json()
    far_kinds, near_kinds = _kinds(far), _kinds(near)
    # Zoomed out: the office and its communities, major streets only, the office's name.
    assert far_kinds[("office", None)] == 1
    assert far_kinds[("community", None)] == office.communities.count()
    assert ("grid", None) not in far_kinds and ("label", "street") not in far_kinds
    assert far_kinds[("label", "office")] == 1
    # Zoomed in: every class, grid outlines, a label per named street and per grid.
    assert near_kinds[("grid", None)] == office.grids.count()
    named = set(office.segments.exclude(name="").values_list("name", flat=True))
    labelled = {
        f["properties"]["name"] for f in near["features"] if f["properties"].get("of") == "street"
    }
    assert labelled == named
    assert near_kinds[("street", None)] > far_kinds[("street", None)]
    street_classes = {
        f["properties"]["class"] for f in near["features"] if f["properties"]["kind"] == "street"
    }
    assert street_classes == set(office.segments.values_list("road_class", flat=True))
    assert {
        f["geometry"]["type"] for f in near["features"] if f["properties"]["kind"] == "grid"
    } <= {
        "LineString",
        "MultiLineString",
    }


def test_a_bbox_away_from_the_district_is_empty_and_answers_are_revalidated_by_etag(client):
    office = load_demo_district()
    empty = client.get("/api/geo/basemap/", {"bbox": "10,10,10.01,10.01", "z": 16}).json()
    assert empty["features"] == []
    first = client.get("/api/geo/basemap/", {"bbox": _bbox(office), "z": 15})
    assert first.status_code == 200 and first["ETag"]
    again = client.get(
        "/api/geo/basemap/", {"bbox": _bbox(office), "z": 15}, HTTP_IF_NONE_MATCH=first["ETag"]
    )
    assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"z": 15}, "bbox is required"),
        ({"bbox": "1,2,3", "z": 15}, "four numbers"),
        ({"bbox": "3,2,1,4", "z": 15}, "minx < maxx"),
        ({"bbox": "116,39,116.1,39.1", "z": "x"}, "whole number"),
        ({"bbox": "116,39,116.1,39.1", "z": 30}, "between"),
        ({"bbox": "100,20,120,40", "z": 17}, "too large"),
    ],
)
def test_bad_requests_say_what_to_fix(client, params, reason):
    response = client.get("/api/geo/basemap/", params)
    assert response.status_code == 400
    assert reason in response.json()["detail"]


def test_simplification_is_about_a_pixel():
    q = BasemapQuery.parse("116.3,39.99,116.33,40.01", "16")
    assert q.tolerance == pytest.approx(360 / (256 * 2**16))
