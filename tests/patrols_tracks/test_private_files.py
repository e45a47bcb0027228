"""Originals of GPS uploads are personal data: never served from /media/, only through a view that
applies the raw-track rule; an oversized body is refused from its Content-Length, unread."""

from __future__ import annotations

import http.client
import json

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from patrols.models import TrackUpload
from tests.patrols_tracks import factories as f


def _gpx() -> bytes:
    base = np.datetime64("2024-05-01T01:00")
    pts = "".join(
        f'<trkpt lat="40.0" lon="{116.31 + i * 0.0001}"><time>{base + np.timedelta64(10 * i, "s")}Z</time></trkpt>'
        for i in range(20)
    )
    return (
        '<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">'
        f"<trk><trkseg>{pts}</trkseg></trk></gpx>"
    ).encode()


def _as(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


@pytest.mark.django_db
def test_originals_only_through_the_track_rule(settings):
    so = f.office()
    owner, other = f.steward(so), f.steward(so)
    response = _as(owner.user).post(
        "/api/tracks/upload/", {"file": SimpleUploadedFile("a.gpx", _gpx())}, format="multipart"
    )
    assert response.status_code == 201, response.content
    upload = TrackUpload.objects.get()
    assert (settings.MEDIA_ROOT / upload.file.name).exists()
    # Not from /media/, for nobody (anonymous, the owner), debug or not.
    for client in (APIClient(), _as(owner.user)):
        with override_settings(DEBUG=True):
            assert client.get(f"/media/{upload.file.name}").status_code == 404
    url = f"/api/tracks/uploads/{upload.pk}/original/"
    got = _as(owner.user).get(url)
    assert got.status_code == 200 and b"".join(got.streaming_content) == _gpx()
    assert "a.gpx" in got["Content-Disposition"]
    assert _as(f.staff(so, "supervisor")).get(url).status_code == 200
    assert _as(other.user).get(url).status_code == 404
    assert _as(f.staff(so, "planner")).get(url).status_code == 404
    assert APIClient().get(url).status_code == 401


@pytest.mark.django_db
def test_hazard_photos_stay_public_and_nothing_else_in_media_is(settings, tmp_path):
    photo = settings.MEDIA_ROOT / "hazards" / "photos" / "p.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"\xff\xd8jpeg")
    assert APIClient().get("/media/hazards/photos/p.jpg").status_code == 200
    assert APIClient().get("/media/hazards/../tracks/x").status_code == 404


def test_an_oversized_body_is_refused_from_its_content_length(live_server):
    host, port = live_server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    # Headers of a 1 GiB upload, and no body at all: the answer must not wait for it.
    conn.putrequest("POST", "/api/tracks/upload/")
    conn.putheader("Content-Type", "multipart/form-data; boundary=x")
    conn.putheader("Content-Length", str(1024**3))
    conn.endheaders()
    # The status and headers come back at once (the 30 s socket timeout would fail otherwise);
    # the development server then waits to drain the announced body, so the test stops here.
    response = conn.getresponse()
    assert response.status == 413
    assert response.getheader("Content-Type") == "application/json"
    conn.close()


@pytest.mark.django_db
def test_a_polygon_is_named_and_a_duplicate_shows_local_time(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    owner = f.steward(f.office())
    polygon = {
        "type": "Feature",
        "properties": {},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[116.31, 40.0], [116.32, 40.0], [116.32, 40.01], [116.31, 40.0]]],
        },
    }
    c = _as(owner.user)
    refused = c.post(
        "/api/tracks/upload/",
        {"file": SimpleUploadedFile("area.geojson", json.dumps(polygon).encode())},
        format="multipart",
    )
    assert refused.status_code == 422 and "Polygon" in refused.json()["detail"]
    first = c.post(
        "/api/tracks/upload/", {"file": SimpleUploadedFile("a.gpx", _gpx())}, format="multipart"
    )
    again = c.post(
        "/api/tracks/upload/", {"file": SimpleUploadedFile("b.gpx", _gpx())}, format="multipart"
    )
    assert first.status_code == 201 and again.status_code == 200
    local = timezone.localtime(TrackUpload.objects.get().created_at).strftime("%Y-%m-%d %H:%M")
    assert local in again.json()["detail"]
