"""Proof that two people walked: one file, one device or coinciding fixes earn no minutes
together, and the verdict says why; uploads made for a steward by someone else are marked."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from demo.simulate import gpx_bytes
from geo.models import Membership
from patrols.evaluation import evaluate_pair_day, reevaluate_upload
from patrols.evidence import Cause, assess_evidence, coincident_intervals
from patrols.models import PairDayVerdict, TrackUpload
from patrols.tasks import verdict_summary
from tests.patrols_tracks import factories as f

from .helpers import DAY, client_for, device_id, pair_walk_on_claimed_alleys, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def walk():
    return pair_walk_on_claimed_alleys()


def _upload(user, data: bytes, name: str, steward=None):
    client = APIClient()
    client.force_authenticate(user)
    body = {"file": SimpleUploadedFile(name, data)}
    if steward is not None:
        body["steward"] = steward.pk
    r = client.post("/api/tracks/upload/", body, format="multipart")
    assert r.status_code == 201, r.json()
    assert r.json()["recheck"]["state"] == "queued"
    # What the queued job does, run here (the job queue itself is tested in tests/jobs).
    upload = TrackUpload.objects.get(id=r.json()["upload"]["id"])
    return {**r.json(), "verdicts": verdict_summary(reevaluate_upload(upload))}


def test_the_same_file_uploaded_for_both_members_earns_no_minutes_together(walk):
    a, b = walk["a"], walk["b"]
    data = gpx_bytes(walk["tracks"]["a"], name="a")
    _upload(a.user, data, "mine.gpx")
    [v] = _upload(a.user, data, "partner.gpx", steward=b)["verdicts"]  # the reported hole
    assert v["compliant"] is False and v["minutes_together"] == 0
    assert v["failed_codes"][0] == "evidence_not_independent"
    assert "同一个上传文件" in v["reasons"][0] and v["numbers"]["minutes_not_credited"] >= 120
    # The partner's upload was made by someone else: said so too.
    assert any(f"{b.name} 的轨迹由 {a.user.username} 代为上传" in r for r in v["reasons"])


def test_identical_fixes_in_a_different_file_earn_no_minutes_together(walk):
    a, b = walk["a"], walk["b"]
    _upload(a.user, gpx_bytes(walk["tracks"]["a"], name="a"), "a.gpx")
    # Same fixes, another name inside: a different checksum.
    _upload(b.user, gpx_bytes(walk["tracks"]["a"], name="copy", version="1.0"), "b.gpx")
    v = PairDayVerdict.objects.get(pair=walk["pair"], day=DAY)
    assert not v.compliant and v.minutes_together == 0
    assert "完全重合" in v.reasons[0] and "同一个上传文件" not in v.reasons[0]


def test_two_recordings_from_one_device_earn_no_minutes_together(walk):
    a, b, tracks = walk["a"], walk["b"], walk["tracks"]
    phone = device_id()
    record(client_for(a.user), tracks["a"], device=phone)
    record(client_for(b.user), tracks["b"], device=phone)
    v = PairDayVerdict.objects.get(pair=walk["pair"], day=DAY)
    assert not v.compliant and "同一台设备" in v.reasons[0]
    with translation.override("en"):
        v = evaluate_pair_day(walk["pair"], DAY)
    assert "recorded on the same device" in v.reasons[0], v.reasons


def test_two_phones_side_by_side_are_credited_and_a_supervisor_upload_is_marked(walk):
    a, b, office = walk["a"], walk["b"], walk["office"]
    sup = f.staff(office, Membership.Role.SUPERVISOR)
    _upload(a.user, gpx_bytes(walk["tracks"]["a"], name="a"), "a.gpx")
    [v] = _upload(sup, gpx_bytes(walk["tracks"]["b"], name="b"), "b.gpx", steward=b)["verdicts"]
    assert v["compliant"] is True and v["failed_codes"] == []
    assert v["reasons"] == [f"{b.name} 的轨迹由 {sup.username} 代为上传。"]
    c = Client()
    c.force_login(sup)
    page = c.get(f"/patrols/pairs/{walk['pair'].pk}/days/{DAY}/?office={office.code}")
    assert f"由 {sup.username} 代为上传" in page.content.decode()


def test_service_level_coincidence_is_about_centimetres_not_metres():
    rng = np.random.default_rng(1)
    t = 1.7e9 + np.arange(3600.0)
    lon = 116.32 + np.cumsum(rng.normal(0, 1e-5, t.size))
    lat = 40.0 + np.cumsum(rng.normal(0, 1e-5, t.size))
    copy = (t, lon + 1e-8, lat - 1e-8)  # written to 7 decimals and read back
    side_by_side = (t, lon + rng.normal(0, 3e-5, t.size), lat + rng.normal(0, 3e-5, t.size))
    iv = coincident_intervals((t, lon, lat), copy, reach_s=180)
    assert iv.shape == (1, 2) and iv[0, 0] <= t[0] and iv[0, 1] >= t[-1]
    assert coincident_intervals((t, lon, lat), side_by_side, reach_s=180).size == 0
    # Half an hour copied into an otherwise independent track: only that half hour.
    mixed = side_by_side[1].copy(), side_by_side[2].copy()
    mixed[0][:1800], mixed[1][:1800] = lon[:1800], lat[:1800]
    [(start, end)] = coincident_intervals((t, lon, lat), (t, *mixed), reach_s=180)
    assert start <= t[0] and t[1799] <= end < t[1799] + 400
    ev = assess_evidence([1, 2], {1: (t, lon, lat), 2: copy}, {}, reach_s=180)
    assert ev.causes == {Cause.COINCIDENT} and (1, 2) in ev.uncredited
