"""Upload API: every bad input gets a specific message and a 4xx, and leaves nothing behind."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from demo.simulate import gpx_bytes, simulate_pair_day
from geo import coords
from patrols.models import Track, TrackUpload
from tests.patrols_tracks import factories as f

pytestmark = pytest.mark.django_db

LINES = [
    [(116.310, 40.000), (116.315, 40.000)],
    [(116.315, 40.000), (116.315, 40.004)],
    [(116.310, 40.000), (116.310, 40.004)],
]
GPX_HEAD = '<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
GPX_TAIL = "</trkseg></trk></gpx>"


def gpx(points: list[tuple[float, float, str]]) -> bytes:
    body = "".join(f'<trkpt lat="{la}" lon="{lo}"><time>{t}</time></trkpt>' for lo, la, t in points)
    return (GPX_HEAD + body + GPX_TAIL).encode()


def walk(n: int = 20, start: str = "2024-05-01T01:00") -> list[tuple[float, float, str]]:
    base = np.datetime64(start)
    return [(116.31 + i * 0.0001, 40.0, f"{base + np.timedelta64(10 * i, 's')}Z") for i in range(n)]


@pytest.fixture
def office():
    return f.office()


@pytest.fixture
def steward(office):
    return f.steward(office)


@pytest.fixture
def client(steward):
    c = APIClient()
    c.force_authenticate(steward.user)
    return c


def post(client, data: bytes, name: str = "t.gpx", **extra):
    return client.post(
        "/api/tracks/upload/", {"file": SimpleUploadedFile(name, data), **extra}, format="multipart"
    )


def assert_rejected(resp, status: int, *fragments: str) -> None:
    assert resp.status_code == status, resp.content
    for frag in fragments:
        assert frag in resp.json()["detail"], resp.json()
    assert not TrackUpload.objects.exists() and not Track.objects.exists()


def test_good_upload_is_stored_with_times_and_checksum(client, steward) -> None:
    resp = post(client, gpx(walk()))
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["duplicate"] is False and len(body["tracks"]) == 1
    track = Track.objects.get()
    assert track.point_count == 20 and track.steward == steward and len(track.times) == 20
    assert track.times[1] - track.times[0] == 10.0
    assert track.started_at.isoformat() == "2024-05-01T01:00:00+00:00"
    up = TrackUpload.objects.get()
    assert len(up.sha256) == 64 and up.file.read().startswith(b"<?xml")
    assert body["cleaning_summary"] == ["读取 20 个点，保存 20 个点，共 1 段轨迹。"]


def test_duplicate_upload_is_recognised_and_not_stored_twice(client) -> None:
    data = gpx(walk())
    first = post(client, data)
    second = post(client, data, name="renamed.gpx")
    assert first.status_code == 201 and second.status_code == 200
    assert second.json()["duplicate"] is True and "已上传过" in second.json()["detail"]
    assert TrackUpload.objects.count() == 1 and Track.objects.count() == 1


def test_empty_file(client) -> None:
    assert_rejected(post(client, b""), 400, "文件为空")


def test_not_a_track_only_waypoints(client) -> None:
    data = b'<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><wpt lat="40" lon="116.3"><time>2024-05-01T00:00:00Z</time></wpt></gpx>'
    assert_rejected(post(client, data), 422, "没有轨迹点")


def test_no_timestamps(client) -> None:
    data = (
        GPX_HEAD + '<trkpt lat="40.0" lon="116.31"/><trkpt lat="40.001" lon="116.31"/>' + GPX_TAIL
    ).encode()
    assert_rejected(post(client, data), 422, "没有时间", "2 个点")


def test_coordinates_out_of_range_names_the_point(client) -> None:
    pts = walk()
    pts[4] = (116.31, 95.5, pts[4][2])
    assert_rejected(post(client, gpx(pts)), 400, "第 5 个点", "95.5", "超出范围")


def test_time_in_the_future(client) -> None:
    assert_rejected(
        post(client, gpx(walk(start="2099-01-01T00:00"))), 400, "第 1 个点", "2099-01-01", "未来"
    )


def test_time_before_2000(client) -> None:
    assert_rejected(
        post(client, gpx(walk(start="1999-12-31T23:00"))), 400, "1999-12-31T23:00:00Z", "早于 2000"
    )


def test_file_larger_than_the_limit(client, settings) -> None:
    settings.ALLEY_MAX_UPLOAD_BYTES = 1000
    assert_rejected(post(client, gpx(walk(50))), 413, "上限")


def test_unknown_format(client) -> None:
    assert_rejected(
        post(client, b"\x89PNG\r\n\x1a\n....", name="photo.png"),
        415,
        "无法识别文件格式",
        "photo.png",
    )


def test_unparseable_time_names_the_csv_line(client) -> None:
    data = b"lat,lon,time\n40.0,116.31,2024-05-01T01:00:00Z\n40.0,116.311,yesterday\n"
    assert_rejected(post(client, data, name="t.csv"), 400, "第 3 行", "yesterday")


def test_broken_xml_names_the_line(client) -> None:
    assert_rejected(post(client, gpx(walk())[:-30]), 400, "XML 格式错误")


def test_xml_bomb_is_refused(client) -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><gpx version="1.1"><trk><name>&c;</name></trk></gpx>'
    )
    assert_rejected(post(client, bomb), 400, "实体", "EntitiesForbidden")


def test_external_entity_is_refused(client) -> None:
    xxe = b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY x SYSTEM "file:///etc/passwd">]><gpx><trk><name>&x;</name></trk></gpx>'
    assert_rejected(post(client, xxe), 400, "实体")


def test_track_of_another_pairs_steward_is_forbidden(client, office) -> None:
    stranger = f.steward(office, name="张三")
    assert_rejected(
        post(client, gpx(walk()), steward=stranger.pk), 403, "张三", "只能上传本人或同组搭档"
    )


def test_partner_and_planner_may_upload_on_behalf(office, steward) -> None:
    partner = f.steward(office)
    f.pair(steward, partner)
    c = APIClient()
    c.force_authenticate(partner.user)
    assert post(c, gpx(walk()), steward=steward.pk).status_code == 201
    c.force_authenticate(f.staff(office, "planner"))
    resp = post(c, gpx(walk(start="2024-05-02T01:00")), steward=steward.pk)
    assert resp.status_code == 201 and Track.objects.filter(steward=steward).count() == 2


def test_anonymous_upload_is_refused(steward) -> None:
    resp = APIClient().post(
        "/api/tracks/upload/",
        {"file": SimpleUploadedFile("t.gpx", gpx(walk()))},
        format="multipart",
    )
    assert resp.status_code in (401, 403) and not Track.objects.exists()


def test_gcj02_upload_is_converted_to_wgs84(client) -> None:
    pts = walk()
    glon, glat = coords.wgs84_to_gcj02([p[0] for p in pts], [p[1] for p in pts])
    shifted = [(x, y, p[2]) for x, y, p in zip(glon, glat, pts, strict=True)]
    resp = post(client, gpx(shifted), crs="gcj02")
    assert resp.status_code == 201, resp.content
    track = Track.objects.get()
    assert track.source_crs == "gcj02" and TrackUpload.objects.get().source_crs == "gcj02"
    x, y = track.geom.coords[0]
    assert abs(x - 116.31) < 1e-5 and abs(y - 40.0) < 1e-5  # within ~1 m of the true WGS-84 point


def test_bd09_upload_is_converted_to_wgs84(client) -> None:
    pts = walk()
    blon, blat = coords.wgs84_to_bd09([p[0] for p in pts], [p[1] for p in pts])
    resp = post(
        client, gpx([(x, y, p[2]) for x, y, p in zip(blon, blat, pts, strict=True)]), crs="bd09"
    )
    assert resp.status_code == 201, resp.content
    x, y = Track.objects.get().geom.coords[-1]
    assert abs(x - pts[-1][0]) < 1e-5 and abs(y - 40.0) < 1e-5


def test_points_far_outside_the_street_office_are_dropped_and_counted(client) -> None:
    pts = walk(30)
    pts[10:15] = [(117.5, 40.5, p[2]) for p in pts[10:15]]  # 100 km away
    resp = post(client, gpx(pts))
    assert resp.status_code == 201
    report = resp.json()["upload"]["cleaning_report"]
    assert report["far_outside"] == 5 and report["points_out"] == 25


def test_whole_track_far_outside_is_rejected(client) -> None:
    pts = [(121.47, 31.23, p[2]) for p in walk()]  # Shanghai, not Wudaokou
    assert_rejected(post(client, gpx(pts)), 422, "远离所属街道")


def test_long_gap_splits_and_duplicates_are_counted(client) -> None:
    pts = walk(20) + walk(20, start="2024-05-01T03:00")
    pts.insert(5, pts[5])  # duplicate time
    pts[2], pts[3] = pts[3], pts[2]  # out of order
    resp = post(client, gpx(pts))
    report = resp.json()["upload"]["cleaning_report"]
    assert resp.status_code == 201
    assert (report["gap_splits"], report["duplicate_times"], report["out_of_order"]) == (1, 1, 1)
    assert Track.objects.count() == 2
    assert resp.json()["cleaning_summary"] == [
        "读取 41 个点，保存 40 个点，共 2 段轨迹。",
        "1 个点时间重复，只保留第一个。",
        "1 个点时间顺序颠倒，已按时间重排。",
        "有 1 处记录中断超过 10 分钟，轨迹在这些地方分段。",
    ]


def test_kml_gx_track(client) -> None:
    whens = "".join(f"<when>2024-05-01T01:00:{i:02d}Z</when>" for i in range(0, 50, 5))
    gxc = "".join(f"<gx:coord>{116.31 + i * 0.00005} 40.0 50</gx:coord>" for i in range(10))
    kml = f'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2"><Document><Placemark><gx:Track>{whens}{gxc}</gx:Track></Placemark></Document></kml>'
    resp = post(client, kml.encode(), name="t.kml")
    assert resp.status_code == 201, resp.content
    assert Track.objects.get().point_count == 10 and resp.json()["upload"]["format"] == "kml"


def test_geojson_linestring_with_times_and_timed_points(client) -> None:
    coords_ = [[116.31 + i * 0.0001, 40.0] for i in range(10)]
    times = [f"2024-05-01T01:00:{i * 5:02d}Z" for i in range(10)]
    doc = {
        "type": "Feature",
        "properties": {"coordTimes": times},
        "geometry": {"type": "LineString", "coordinates": coords_},
    }
    assert post(client, json.dumps(doc).encode(), name="t.geojson").status_code == 201
    pts = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"time": 1714525200 + 5 * i},
                "geometry": {"type": "Point", "coordinates": c},
            }
            for i, c in enumerate(coords_)
        ],
    }
    resp = post(client, json.dumps(pts).encode(), name="p.geojson")
    assert resp.status_code == 201, resp.content
    assert Track.objects.count() == 2 and all(t.point_count == 10 for t in Track.objects.all())


def test_csv_with_chinese_headers_and_local_naive_times(client) -> None:
    rows = ["纬度,经度,时间"] + [
        f"40.0,{116.31 + i * 0.0001},2024-05-01 09:00:{i * 5:02d}" for i in range(10)
    ]
    resp = post(client, "\n".join(rows).encode(), name="t.csv")
    assert resp.status_code == 201, resp.content
    # Naive CSV times are local (Asia/Shanghai): 09:00 local is 01:00 UTC.
    assert Track.objects.get().started_at.isoformat() == "2024-05-01T01:00:00+00:00"


def test_csv_column_mapping_is_explicit_when_not_detected(client) -> None:
    rows = ["a,b,c"] + [
        f"40.0,{116.31 + i * 0.0001},2024-05-01T01:00:{i * 5:02d}Z" for i in range(10)
    ]
    data = "\n".join(rows).encode()
    assert_rejected(post(client, data, name="t.csv"), 422, "找不到纬度列", "a, b, c")
    assert post(client, data, name="t.csv", columns="lat=a,lon=b,time=c").status_code == 201


def test_simulated_patrol_round_trips(client) -> None:
    track = simulate_pair_day(LINES, date(2024, 5, 1), seed=3)["a"]
    resp = post(client, gpx_bytes(track))
    assert resp.status_code == 201, resp.content
    stored = Track.objects.all()
    assert sum(t.point_count for t in stored) >= 0.99 * track[0].size
    assert all(not t.flags for t in stored)


def test_failure_while_storing_removes_the_saved_original(client, settings, monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("patrols.tracks.ingest._copy_tracks", boom)
    with pytest.raises(RuntimeError):
        post(client, gpx(walk()))
    assert not TrackUpload.objects.exists() and not Track.objects.exists()
    assert not [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]


def test_kml_timed_placemarks_form_one_track(client) -> None:
    marks = "".join(
        f"<Placemark><TimeStamp><when>2024-05-01T01:00:{i * 5:02d}Z</when></TimeStamp>"
        f"<Point><coordinates>{116.31 + i * 0.0001},40.0,0</coordinates></Point></Placemark>"
        for i in range(8)
    )
    kml = f'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>{marks}</Document></kml>'
    resp = post(client, kml.encode(), name="points.kml")
    assert resp.status_code == 201, resp.content
    assert Track.objects.get().point_count == 8


def test_kml_linestring_without_times_is_rejected(client) -> None:
    line = " ".join(f"{116.31 + i * 0.0001},40.0,0" for i in range(8))
    kml = f'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><LineString><coordinates>{line}</coordinates></LineString></Placemark></kml>'
    assert_rejected(post(client, kml.encode(), name="line.kml"), 422, "没有时间", "8 个点")


def test_geolife_plt_upload(client) -> None:
    rows = [
        f"40.0,{116.31 + i * 0.0001:.6f},0,150,39745.0,2008-10-24,02:{i:02d}:00" for i in range(10)
    ]
    plt = (
        "Geolife trajectory\nWGS 84\nAltitude is in Feet\nReserved 3\n0,2,255,My Track,0,0,2,8421376\n0\n"
        + "\n".join(rows)
    )
    resp = post(client, plt.encode(), name="x.plt")
    assert resp.status_code == 201, resp.content
    assert resp.json()["upload"]["format"] == "plt" and Track.objects.get().point_count == 10


def test_binary_copy_stores_times_geometry_and_flags_exactly(steward) -> None:
    from patrols.tracks.ingest import ingest_file

    t0 = 1714525200.0  # 2024-05-01T01:00:00Z
    # Sub-second times, a short walk, then mostly 20 m/s: flagged as a vehicle ride.
    times = t0 + np.concatenate([np.arange(20) + 0.125, 20 + np.arange(70) * 1.0])
    lons = 116.31 + np.concatenate([np.arange(20) * 1e-5, 20e-5 + np.arange(70) * 2.35e-4])
    pts = [
        (lo, 40.0, np.datetime_as_string(np.datetime64(int(t * 1000), "ms"), unit="ms") + "Z")
        for lo, t in zip(lons, times, strict=True)
    ]
    import io

    res = ingest_file(io.BytesIO(gpx(pts)), filename="t.gpx", steward=steward)
    track = Track.objects.get(upload=res.upload)
    assert np.array_equal(np.array(track.times), times)  # float8 round trip, no rounding
    assert track.geom.srid == 4326 and len(track.geom.coords) == track.point_count == 90
    assert np.allclose([c[0] for c in track.geom.coords], lons, rtol=0, atol=1e-12)
    assert track.flags == ["vehicle_speed"] and track.source_crs == "wgs84"
