"""load_points (the rule's input), local days across midnight, and who may see tracks."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from demo.simulate import SCENARIOS, gpx_bytes, simulate_pair_day
from geo.local_days import local_day_bounds, local_days
from geo.models import Membership
from patrols.models import Track
from patrols.tracks.ingest import ingest_file
from patrols.tracks.store import load_points
from tests.patrols_tracks import factories as f
from tests.patrols_tracks.test_api_upload import LINES, gpx, walk

pytestmark = pytest.mark.django_db


def store(steward, data: bytes, name: str = "t.gpx"):
    return ingest_file(SimpleUploadedFile(name, data), filename=name, steward=steward)


def test_load_points_concatenates_sorted_and_trims_to_the_window() -> None:
    office = f.office()
    a, b, c = f.steward(office), f.steward(office), f.steward(office)
    store(a, gpx(walk(20, start="2024-05-01T02:00")))
    store(a, gpx(walk(20, start="2024-05-01T01:00")), "second.gpx")
    store(b, gpx(walk(10, start="2024-05-01T01:00")))
    start = datetime(2024, 5, 1, 1, 0, 30, tzinfo=UTC)
    end = datetime(2024, 5, 1, 2, 1, 0, tzinfo=UTC)
    got = load_points([a.pk, b.pk, c.pk], start, end)
    ta, xa, ya = got[a.pk]
    # a: 01:00:30..01:03:10 (17 points) + 02:00:00..02:00:50 (6 points); window end exclusive.
    assert ta.size == 17 + 6 and np.all(np.diff(ta) > 0)
    assert ta[0] == start.timestamp() and ta[-1] < end.timestamp()
    assert xa.shape == ya.shape == ta.shape and np.allclose(ya, 40.0)
    assert got[b.pk][0].size == 7 and got[c.pk][0].size == 0


def test_a_track_crossing_midnight_belongs_to_both_local_days() -> None:
    office = f.office()
    s = f.steward(office)
    tracks = simulate_pair_day(LINES, date(2024, 5, 1), scenario="midnight", seed=5)
    store(s, gpx_bytes(tracks["a"]))
    tr = Track.objects.get()
    assert local_days(tr.started_at, tr.ended_at) == [date(2024, 5, 1), date(2024, 5, 2)]
    day1 = load_points([s.pk], *local_day_bounds(date(2024, 5, 1)))[s.pk][0]
    day2 = load_points([s.pk], *local_day_bounds(date(2024, 5, 2)))[s.pk][0]
    assert day1.size > 0 and day2.size > 0 and day1.size + day2.size == tr.point_count


def test_simulator_scenarios_have_their_signature() -> None:
    for sc in SCENARIOS:
        tr = simulate_pair_day(LINES, date(2024, 5, 1), scenario=sc, seed=11)
        assert tr["a"][0].size > 100, sc
        dt = np.diff(tr["a"][0])
        assert dt.min() >= 1 and np.median(dt) <= 5, sc
    absent = simulate_pair_day(LINES, date(2024, 5, 1), scenario="absent", seed=1)
    assert absent["b"][0].size == 0
    vehicle = simulate_pair_day(LINES, date(2024, 5, 1), scenario="vehicle", seed=1)["a"]
    from patrols.tracks.cleaning import haversine_m

    speed = haversine_m(vehicle[1][:-1], vehicle[2][:-1], vehicle[1][1:], vehicle[2][1:]).sum() / (
        vehicle[0][-1] - vehicle[0][0]
    )
    assert speed > 6
    normal = simulate_pair_day(LINES, date(2024, 5, 1), scenario="normal", seed=1)
    ta, tb = normal["a"][0], normal["b"][0]
    both = (ta > tb[0]) & (ta < tb[-1])
    bx = np.interp(ta[both], tb, normal["b"][1])
    by = np.interp(ta[both], tb, normal["b"][2])
    d = haversine_m(normal["a"][1][both], normal["a"][2][both], bx, by)
    assert np.median(d) < 60  # together, within GPS drift


def test_privacy_own_tracks_supervisor_all_others_nothing() -> None:
    office, other_office = f.office(), f.office()
    a, b = f.steward(office), f.steward(office)
    store(a, gpx(walk()))
    track = Track.objects.get()
    c = APIClient()

    def sees(user) -> tuple[int, int]:
        c.force_authenticate(user)
        return c.get("/api/tracks/").json()["count"], c.get(f"/api/tracks/{track.pk}/").status_code

    assert sees(a.user) == (1, 200)
    assert sees(b.user) == (0, 404)
    assert sees(f.staff(office, "supervisor")) == (1, 200)
    assert sees(f.staff(other_office, "supervisor")) == (0, 404)
    assert sees(f.staff(office, "grid_worker")) == (0, 404)
    c.force_authenticate(None)
    assert c.get(f"/api/tracks/{track.pk}/").status_code in (401, 403)


def test_detail_returns_geometry_and_times() -> None:
    s = f.steward(f.office())
    store(s, gpx(walk(5)))
    c = APIClient()
    c.force_authenticate(s.user)
    body = c.get(f"/api/tracks/{Track.objects.get().pk}/").json()
    assert body["geom"]["type"] == "LineString" and len(body["geom"]["coordinates"]) == 5
    assert body["times"][0] == datetime(2024, 5, 1, 1, tzinfo=UTC).timestamp()
    listed = c.get("/api/tracks/?day=2024-05-01").json()
    assert listed["count"] == 1 and "geom" not in listed["results"][0]
    assert c.get("/api/tracks/?day=2024-05-03").json()["count"] == 0


def test_upload_page_renders_and_accepts_a_file() -> None:
    s = f.steward(f.office())
    from django.test import Client

    c = Client()
    c.force_login(s.user)
    assert "上传巡查轨迹" in c.get("/tracks/upload/").content.decode()
    resp = c.post(
        "/tracks/upload/", {"file": SimpleUploadedFile("t.gpx", gpx(walk())), "crs": "wgs84"}
    )
    assert resp.status_code == 200 and "上传成功" in resp.content.decode()
    bad = c.post("/tracks/upload/", {"file": SimpleUploadedFile("t.gpx", b""), "crs": "wgs84"})
    assert bad.status_code == 400 and "文件为空" in bad.content.decode()


def test_upload_page_lists_only_uploads_the_user_may_see() -> None:
    from django.test import Client

    office = f.office()
    me, other = f.steward(office), f.steward(office)
    boss = f.user()
    Membership.objects.create(user=boss, street_office=office, role=Membership.Role.SUPERVISOR)
    for s, name in ((me, "mine.gpx"), (other, "theirs.gpx")):
        c = Client()
        c.force_login(s.user)
        c.post("/tracks/upload/", {"file": SimpleUploadedFile(name, gpx(walk())), "crs": "wgs84"})
    c = Client()
    c.force_login(me.user)
    page = c.get("/tracks/upload/").content.decode()
    assert "mine.gpx" in page and "theirs.gpx" not in page
    c.force_login(boss)
    page = c.get("/tracks/upload/").content.decode()
    assert "mine.gpx" in page and "theirs.gpx" in page


def test_simulated_vehicle_ride_is_flagged_and_outside_walk_is_kept() -> None:
    office = f.office()
    s = f.steward(office)
    ride = simulate_pair_day(LINES, date(2024, 5, 1), scenario="vehicle", seed=4)["a"]
    res = store(s, gpx_bytes(ride))
    assert any("vehicle_speed" in t.flags for t in Track.objects.filter(id__in=res.track_ids))
    away = simulate_pair_day(LINES, date(2024, 5, 2), scenario="outside", seed=4)["a"]
    res = store(s, gpx_bytes(away), "away.gpx")
    # 1.5 km beyond the claimed alleys is still within 5 km of the office: stored for the rule.
    assert res.report["far_outside"] == 0 and res.report["points_out"] > 1000


def test_load_points_reads_naive_bounds_as_local_time() -> None:
    s = f.steward(f.office())
    store(s, gpx(walk(20, start="2024-05-01T01:00")))  # 09:00 local
    got = load_points([s.pk], datetime(2024, 5, 1, 9, 1), datetime(2024, 5, 1, 10, 0))[s.pk][0]
    assert got.size == 14 and got[0] == datetime(2024, 5, 1, 1, 1, tzinfo=UTC).timestamp()


def test_wkb_lines_are_read_in_place_and_other_encodings_refused() -> None:
    import shapely

    from patrols.tracks.store import decode_wkb_line

    line = shapely.LineString([(116.31, 40.0), (116.3101, 40.0002), (116.3102, 40.0001)])
    xy = decode_wkb_line(shapely.to_wkb(line, byte_order=1))
    assert np.array_equal(xy, shapely.get_coordinates(line))
    with pytest.raises(ValueError, match="little-endian"):
        decode_wkb_line(shapely.to_wkb(line, byte_order=0))
    with pytest.raises(ValueError):
        decode_wkb_line(shapely.to_wkb(shapely.Point(1, 2), byte_order=1))
