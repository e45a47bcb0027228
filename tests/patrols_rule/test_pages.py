"""Supervisor pages and the verdict/coverage API (Django test client, real PostGIS)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.contrib.auth.models import User
from openpyxl import load_workbook

from . import mvt, synth

pytestmark = pytest.mark.django_db
DAY = date(2024, 5, 14)
T0 = synth.local(2024, 5, 14, 8, 0)


def test_the_compliance_table_lists_both_pairs_with_verdicts_and_reasons(client, world):
    resp = client.get("/patrols/compliance/", {"from": "2024-05-14", "to": "2024-05-14"})
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "第一组" in html and "第二组" in html
    assert "共 2 组日，达标 1 组日" in html
    assert "当天只有 1 名组员上传了轨迹" in html


def test_the_compliance_table_filters_by_verdict_and_grid(client, world):
    resp = client.get(
        "/patrols/compliance/",
        {"from": "2024-05-14", "to": "2024-05-14", "verdict": "noncompliant"},
    )
    html = resp.content.decode()
    assert "第二组" in html and "第一组" not in html
    resp = client.get(
        "/patrols/compliance/", {"from": "2024-05-01", "to": "2024-05-31", "grid": world["grid"].id}
    )
    assert "共 2 组日" in resp.content.decode()
    resp = client.get("/patrols/compliance/", {"from": "2024-06-01", "to": "2024-06-30"})
    assert "所选范围内没有判定记录" in resp.content.decode()


def test_csv_and_excel_exports_hold_the_filtered_rows(client, world):
    resp = client.get(
        "/patrols/compliance/", {"from": "2024-05-14", "to": "2024-05-14", "export": "csv"}
    )
    assert resp["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert rows[0][0] == "日期" and len(rows) == 3
    by_pair = {r[2]: r for r in rows[1:]}
    assert by_pair["第一组"][3] == "达标" and float(by_pair["第一组"][4]) == pytest.approx(
        125, abs=0.5
    )
    assert by_pair["第二组"][3] == "未达标"
    resp = client.get(
        "/patrols/compliance/",
        {"from": "2024-05-14", "to": "2024-05-14", "export": "xlsx", "verdict": "compliant"},
    )
    ws = load_workbook(io.BytesIO(resp.content)).active
    values = list(ws.values)
    assert len(values) == 2 and values[1][2] == "第一组" and values[1][3] == "达标"


def test_the_pair_calendar_colours_the_day(client, world):
    pair = world["pair"]
    resp = client.get(f"/patrols/pairs/{pair.id}/calendar/", {"month": "2024-05"})
    html = resp.content.decode()
    assert resp.status_code == 200
    assert 'class="ok"' in html and 'data-day="2024-05-14"' in html
    assert "本月达标 1 / 1 天" in html


def test_pages_are_for_supervisors_of_that_office_only(client, world):
    outsider = User.objects.create_user("outsider")
    client.force_login(outsider)
    assert client.get("/patrols/compliance/").status_code == 403
    client.force_login(world["user"])
    assert client.get("/patrols/compliance/", {"office": "999"}).status_code == 403
    client.logout()
    assert client.get("/patrols/compliance/").status_code == 302  # to the login page


def test_the_verdict_api_filters_and_explains(client, world):
    resp = client.get("/api/patrols/verdicts/", {"from": "2024-05-14", "to": "2024-05-14"})
    assert resp.status_code == 200
    results = {r["pair_name"]: r for r in resp.json()["results"]}
    assert results["第一组"]["compliant"] is True
    assert results["第二组"]["failed_codes"] == ["members_missing"]
    assert results["第二组"]["numbers"]["members_with_data"] == 1
    resp = client.get(
        "/api/patrols/verdicts/", {"from": "2024-05-14", "to": "2024-05-14", "verdict": "compliant"}
    )
    assert [r["pair_name"] for r in resp.json()["results"]] == ["第一组"]


def test_the_evaluate_endpoint_recomputes_one_pair_day(client, world, monkeypatch):
    monkeypatch.setattr("patrols.evaluation._default_loader", lambda: world["loader"])
    resp = client.post(f"/api/patrols/pairs/{world['pair'].id}/evaluate/", {"day": "2024-05-15"})
    assert resp.status_code == 200
    assert resp.json()["day"] == "2024-05-15" and resp.json()["compliant"] is False
    bad = client.post(f"/api/patrols/pairs/{world['pair'].id}/evaluate/", {"day": "15/05/2024"})
    assert bad.status_code == 400 and "day" in bad.json()


def test_the_coverage_api_returns_geojson_and_rollups(client, world):
    resp = client.get(
        "/api/grids/coverage/", {"from": "2024-05-14", "to": "2024-05-14", "zoom": "17"}
    )
    assert resp.status_code == 200 and resp["Content-Type"] == "application/geo+json"
    props = {f["properties"]["name"]: f["properties"] for f in resp.json()["features"]}
    assert props["南巷"]["share"] > 0.95 and props["北街"]["share"] == 0
    # bbox far away: nothing.
    resp = client.get(
        "/api/grids/coverage/",
        {"from": "2024-05-14", "to": "2024-05-14", "bbox": "100,30,100.1,30.1"},
    )
    assert resp.json()["features"] == []
    bad = client.get("/api/grids/coverage/", {"bbox": "1,2,3"})
    assert bad.status_code == 400 and "bbox" in bad.json()
    resp = client.get(
        "/api/grids/coverage/summary/",
        {"from": "2024-05-14", "to": "2024-05-14", "level": "community"},
    )
    (row,) = resp.json()["results"]
    assert row["key"] == world["community"].id
    # 1,000 m claimed by pair 1 (walked) + the 500 m N street claimed by pair 2, whose one member
    # walked pair 1's block instead: 1,000 of 1,500 claimed metres covered by their own pair.
    assert row["claimed_m"] == pytest.approx(1500, rel=0.03)
    assert row["share"] == pytest.approx(2 / 3, abs=0.02)


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    import math

    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def south_alley_in(tile: bytes, world: dict) -> bool:
    """The block's south alley is a feature of the coverage tile."""
    return world["segments"][1].id in {f["id"] for f in mvt.features(tile)["coverage"]}


def test_the_coverage_vector_tile_holds_the_block_and_nothing_elsewhere(client, world):
    x, y = _tile_of(synth.LON0 + 0.0015, synth.LAT0 + 0.001, 16)
    resp = client.get(
        f"/api/grids/coverage/tiles/16/{x}/{y}.pbf", {"from": "2024-05-14", "to": "2024-05-14"}
    )
    assert resp.status_code == 200 and resp["Content-Type"] == "application/vnd.mapbox-vector-tile"
    body = resp.content
    south = {f["id"]: f for f in mvt.features(body)["coverage"]}[world["segments"][1].id]
    # What the map draws with; a segment's name and length come from /api/geo/segments/<id>/.
    assert set(south) == {"id", "share", "patrols", "claimed"}
    assert south["share"] > 0.95 and south["patrols"] >= 1 and south["claimed"] is True
    far = client.get(f"/api/grids/coverage/tiles/16/{x + 40}/{y}.pbf")
    assert far.status_code == 200 and far.content == b""
    bad = client.get("/api/grids/coverage/tiles/3/9/1.pbf")
    assert bad.status_code == 400
