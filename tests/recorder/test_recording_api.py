"""The batch API and compaction against real PostGIS: stored once, in time order, same path
as a file upload, and the pair-day verdict at the end."""

from __future__ import annotations

import io
from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from geo.models import Membership
from patrols.models import PairDayVerdict, Track, TrackUpload
from patrols.tracks.ingest import ingest_file
from recorder.compaction import compact_idle
from recorder.models import Recording, RecordingBatch
from tests.patrols_tracks import factories as f

from .helpers import (
    DAY,
    batches,
    client_for,
    open_recording,
    pair_walk_on_claimed_alleys,
    record,
    send,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair_walk():
    return pair_walk_on_claimed_alleys()


def test_both_partners_recording_give_a_compliant_pair_day(pair_walk):
    a, b, tracks = pair_walk["a"], pair_walk["b"], pair_walk["tracks"]
    ca, cb = client_for(a.user), client_for(b.user)
    record(ca, tracks["a"])
    rid = open_recording(cb, float(tracks["b"][0][0]))
    for body in batches(tracks["b"]):
        send(cb, rid, body)
    r = cb.post(f"/api/recordings/{rid}/finish/", format="json")
    body = r.json()
    [verdict] = body["verdicts"]
    assert verdict["compliant"] is True and verdict["minutes_together"] >= 120, verdict
    assert body["status"] == "closed" and body["minutes_needed"] == 0
    stored = PairDayVerdict.objects.get(pair=pair_walk["pair"], day=DAY)
    assert stored.compliant
    upload = TrackUpload.objects.get(steward=b)
    assert upload.format == "geojson" and upload.uploaded_by == b.user
    assert upload.cleaning_report["origin"]["device_id"]


def test_a_resend_is_stored_once_and_out_of_order_batches_are_put_in_order(pair_walk):
    a, track = pair_walk["a"], pair_walk["tracks"]["a"]
    c = client_for(a.user)
    rid = open_recording(c, float(track[0][0]))
    bodies = batches(track)
    order = list(range(len(bodies)))[::-1]  # newest first: the worst order a phone can send
    for i in order:
        assert send(c, rid, bodies[i]).status_code == 201
    again = send(c, rid, bodies[3])
    assert again.status_code == 200 and again.json()["stored"] is False
    assert "已保存过" in again.json()["detail"]
    assert RecordingBatch.objects.filter(recording_id=rid).count() == len(bodies)
    c.post(f"/api/recordings/{rid}/finish/", format="json")
    times = np.concatenate([np.asarray(t.times) for t in Track.objects.filter(steward=a)])
    assert np.all(np.diff(times) > 0)
    assert times.size == Recording.objects.get(pk=rid).upload.cleaning_report["points_out"]
    assert Recording.objects.get(pk=rid).upload.cleaning_report["duplicate_times"] == 0


def test_compaction_stores_what_the_file_path_stores_for_the_same_points(pair_walk):
    a, b, track = pair_walk["a"], pair_walk["b"], pair_walk["tracks"]["a"]
    rid = record(client_for(a.user), track)
    upload = Recording.objects.get(pk=rid).upload
    # The kept original is the fixes in binary (cheap to write); its owner downloads it as a
    # GeoJSON that the upload path reads back into the same track.
    assert upload.file.open("rb").read(8) == b"ALLEYFX1"
    got = client_for(a.user).get(f"/api/tracks/uploads/{upload.pk}/original/")
    assert got.status_code == 200 and got["Content-Disposition"].endswith('.geojson"')
    original = b"".join(got.streaming_content)
    assert original.startswith(b'{"type":"FeatureCollection"')
    again = ingest_file(io.BytesIO(original), filename="again.geojson", steward=b)
    mine = Track.objects.filter(upload=upload).order_by("started_at")
    theirs = Track.objects.filter(upload=again.upload).order_by("started_at")
    assert [t.point_count for t in mine] == [t.point_count for t in theirs]
    for x, y in zip(mine, theirs, strict=True):
        assert np.allclose(x.times, y.times, rtol=0, atol=1e-6)
        assert x.geom.coords == y.geom.coords
    assert upload.cleaning_report["points_in"] == again.upload.cleaning_report["points_in"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ([1, 2], "bad_body"),
        ({"seq": -1, "fixes": []}, "bad_seq"),
        ({"seq": "1", "fixes": []}, "bad_seq"),
        ({"seq": 0, "fixes": []}, "bad_fixes"),
        ({"seq": 0, "fixes": [{"t": 0, "lon": 116.3}]}, "bad_fix"),
        ({"seq": 0, "fixes": [{"t": "x", "lon": 116.3, "lat": 40}]}, "bad_fix"),
        ({"seq": 0, "fixes": [{"t": 0, "lon": 216.3, "lat": 40}]}, "bad_coordinates"),
        ({"seq": 0, "fixes": [{"t": 4e9, "lon": 116.3, "lat": 40}]}, "time_in_future"),
        ({"seq": 0, "fixes": [{"t": -86400, "lon": 116.3, "lat": 40}]}, "time_outside_recording"),
        ({"seq": 0, "fixes": [{"t": 0, "lon": 116.3, "lat": 40, "acc": -3}]}, "bad_accuracy"),
    ],
)
def test_bad_batches_are_refused_with_a_reason_and_store_nothing(pair_walk, body, code):
    a = pair_walk["a"]
    c = client_for(a.user)
    t0 = float(pair_walk["tracks"]["a"][0][0])
    rid = open_recording(c, t0)
    if isinstance(body, dict):  # times relative to the recording's start
        for fix in body.get("fixes", []):
            if isinstance(fix.get("t"), (int, float)) and fix["t"] < 1e9:
                fix["t"] += t0
    r = send(c, rid, body)
    assert r.status_code == 400, r.json()
    if code == "bad_body":  # refused by the API-wide JSON parser before the view: no code
        assert "对象" in r.json()["detail"]
    else:
        assert r.json()["code"] == code and r.json()["detail"]
    assert not RecordingBatch.objects.filter(recording_id=rid).exists()


def test_only_the_recorder_may_send_and_only_the_steward_or_staff_may_open(pair_walk):
    a, b, office = pair_walk["a"], pair_walk["b"], pair_walk["office"]
    rid = open_recording(client_for(a.user), float(pair_walk["tracks"]["a"][0][0]))
    body = batches(pair_walk["tracks"]["a"])[0]
    assert send(client_for(b.user), rid, body).status_code == 404
    # A partner may upload a partner's file, but not record for them: one phone, one person.
    r = client_for(a.user).post(
        "/api/recordings/", {"device_id": "x" * 16, "steward": b.pk}, format="json"
    )
    assert r.status_code == 403 and r.json()["code"] == "not_yours"
    sup = f.staff(office, Membership.Role.SUPERVISOR)
    r = client_for(sup).post(
        "/api/recordings/", {"device_id": "y" * 16, "steward": b.pk}, format="json"
    )
    assert r.status_code == 201
    bad = client_for(a.user).post("/api/recordings/", {"device_id": "13800138000"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "bad_device_id"
    taken = client_for(b.user).post(
        "/api/recordings/", {"id": rid, "device_id": "z" * 16}, format="json"
    )
    assert taken.status_code == 409


def test_idle_recordings_are_compacted_and_later_batches_join_the_next_compaction(pair_walk):
    a, track = pair_walk["a"], pair_walk["tracks"]["a"]
    c = client_for(a.user)
    rid = open_recording(c, float(track[0][0]))
    bodies = batches(track)
    half = len(bodies) // 2
    for body in bodies[:half]:
        send(c, rid, body)
    assert compact_idle(idle=10) == []  # not idle yet
    results = compact_idle(idle=10, now=timezone.now() + timedelta(minutes=11))
    assert [r.recording.pk for r in results] == [Recording.objects.get(pk=rid).pk]
    first = Recording.objects.get(pk=rid).upload
    # Nobody waits for an idle recording's verdict: its re-check is a job, queued once.
    assert first is not None and not PairDayVerdict.objects.filter(pair=pair_walk["pair"]).exists()
    jobs = ProcrastinateJob.objects.filter(task_name="patrols.recheck_upload")
    assert [j.args["upload_id"] for j in jobs] == [first.pk]
    # The phone comes back online with the rest (and resends one it already sent).
    for body in bodies[half - 1 :]:
        send(c, rid, body)
    c.post(f"/api/recordings/{rid}/finish/", format="json")
    rec = Recording.objects.get(pk=rid)
    assert rec.upload_id != first.pk and rec.status == "closed"
    stored = sum(t.point_count for t in Track.objects.filter(steward=a))
    sent = sum(len(b["fixes"]) for b in bodies)
    assert stored <= sent and stored >= sent - 10  # cleaning may drop a spike, never duplicates


def test_status_counts_staged_fixes_and_the_live_map_is_office_scoped(pair_walk):
    a, b, office = pair_walk["a"], pair_walk["b"], pair_walk["office"]
    tracks = pair_walk["tracks"]
    ca, cb = client_for(a.user), client_for(b.user)
    ra = record(ca, tracks["a"], finish=False)
    record(cb, tracks["b"], finish=False)
    s = ca.get(f"/api/recordings/{ra}/status/").json()
    assert s["distance_m"] > 1000 and s["fixes"] > 1000
    assert s["minutes_together"] >= 120 and s["minutes_needed"] == 0
    assert s["partner"]["name"] == b.name
    assert set(s["walked"]) and max(s["walked"].values()) > 0.5
    assert not Track.objects.exists()  # all of that from staged fixes
    assert client_for(b.user).get(f"/api/recordings/{ra}/status/").status_code == 404
    sup = f.staff(office, Membership.Role.SUPERVISOR)
    live = client_for(sup).get("/api/recordings/live/", {"minutes": 240})
    assert live.status_code == 200
    other = f.staff(f.office(), Membership.Role.SUPERVISOR)
    assert client_for(other).get("/api/recordings/live/").json()["features"] == []
    assert client_for(a.user).get("/api/recordings/live/").status_code == 403
