"""The batch endpoint's fast path (recorder/api/batch_fast_path.py): a good batch from a real token
or a logged-in session is stored by one statement; everything else gets the DRF view's answer,
exactly as before (same statuses, bodies and CSRF rule)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from recorder.models import Recording, RecordingBatch
from tests.patrols_tracks import factories as f

from .helpers import batches, client_for, open_recording, pair_walk_on_claimed_alleys

pytestmark = pytest.mark.django_db


@pytest.fixture
def walk():
    w = pair_walk_on_claimed_alleys()
    a = w["a"]
    w["t0"] = float(w["tracks"]["a"][0][0])
    w["rid"] = open_recording(client_for(a.user), w["t0"])
    w["bodies"] = batches(w["tracks"]["a"])
    w["token"] = Token.objects.create(user=a.user).key
    return w


def post(client: Client, rid: str, body, **headers):
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(
        f"/api/recordings/{rid}/batches/", raw, content_type="application/json", **headers
    )


def token_client(key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def test_a_good_batch_by_token_is_one_statement_and_moves_the_live_position(walk):
    c = token_client(walk["token"])
    body = walk["bodies"][0]
    with CaptureQueriesContext(connection) as queries:
        r = post(c, walk["rid"], body)
    assert r.status_code == 201 and r.json() == {"stored": True, "seq": 0, "fixes": 30}
    assert len(queries.captured_queries) == 1
    batch = RecordingBatch.objects.get(recording_id=walk["rid"], seq=0)
    assert batch.t == [fx["t"] for fx in body["fixes"]]  # exact: repr() round-trips floats
    assert batch.lon == [fx["lon"] for fx in body["fixes"]]
    rec = Recording.objects.get(pk=walk["rid"])
    last = body["fixes"][-1]
    assert rec.last_fix_at.timestamp() == pytest.approx(last["t"])
    assert rec.last_position.x == pytest.approx(last["lon"]) and rec.last_accuracy_m == 8.0
    # The resend goes to the DRF view: 200, "already stored", nothing added.
    again = post(c, walk["rid"], body)
    assert again.status_code == 200 and again.json()["stored"] is False
    assert RecordingBatch.objects.filter(recording_id=walk["rid"]).count() == 1


def test_a_session_needs_the_csrf_token_as_with_drf(walk):
    c = Client(enforce_csrf_checks=True)
    c.force_login(walk["a"].user)
    refused = post(c, walk["rid"], walk["bodies"][0])
    # DRF's answer as before: the session is not accepted without the token, so "not logged in".
    assert refused.status_code == 401 and refused["WWW-Authenticate"]
    assert not RecordingBatch.objects.filter(recording_id=walk["rid"]).exists()
    c.get("/patrol/")  # the page sets the csrftoken cookie, as on the phone
    csrf = c.cookies["csrftoken"].value
    with CaptureQueriesContext(connection) as queries:
        ok = post(c, walk["rid"], walk["bodies"][0], HTTP_X_CSRFTOKEN=csrf)
    assert ok.status_code == 201, ok.content
    batch_statements = [q for q in queries.captured_queries if "recorder_batch" in q["sql"]]
    assert len(batch_statements) == 1  # besides the session and user look-ups


def test_not_the_callers_recording_bad_or_inactive_tokens(walk):
    body = walk["bodies"][0]
    other = Token.objects.create(user=walk["b"].user).key
    r = post(token_client(other), walk["rid"], body)
    assert r.status_code == 404 and r.json()["code"] == "recording_not_found"
    r = post(token_client("0" * 40), walk["rid"], body)
    assert r.status_code == 401 and r["WWW-Authenticate"]
    r = post(Client(HTTP_AUTHORIZATION="Token"), walk["rid"], body)
    assert r.status_code == 401
    r = post(Client(), walk["rid"], body)
    assert r.status_code == 401
    user = walk["a"].user
    user.is_active = False
    user.save()
    r = post(token_client(walk["token"]), walk["rid"], body)
    assert r.status_code == 401
    assert not RecordingBatch.objects.filter(recording_id=walk["rid"]).exists()


BAD = [
    (b'{"seq": 0, "fixes": [{"t": NaN, "lon": 116.3, "lat": 40, "acc": 5}]}', 400, None),
    (b"[1, 2]", 400, None),
    ({"seq": True, "fixes": []}, 400, "bad_seq"),
    ({"seq": 0, "fixes": [{"t": 0, "lon": True, "lat": 40, "acc": 5}]}, 400, "bad_fix"),
    ({"seq": 0, "fixes": [{"t": 0, "lon": "116.3", "lat": 40, "acc": 5}]}, 400, "bad_fix"),
    ({"seq": 0, "fixes": [{"t": 0, "lon": None, "lat": 40, "acc": 5}]}, 400, "bad_fix"),
    ({"seq": 0, "fixes": [{"t": 0, "lon": 10**400, "lat": 40, "acc": 5}]}, 400, "bad_coordinates"),
    ({"seq": 0, "fixes": [{"t": 0, "lon": 116.3, "lat": 40, "acc": -1}]}, 400, "bad_accuracy"),
    ({"seq": 0, "fixes": [{"t": 4e9, "lon": 116.3, "lat": 40, "acc": 5}]}, 400, "time_in_future"),
    (
        {"seq": 0, "fixes": [{"t": 0, "lon": 116.3, "lat": 40}, {"t": -3600, "lon": 1, "lat": 1}]},
        400,
        "time_outside_recording",
    ),
]


@pytest.mark.parametrize(("body", "status", "code"), BAD)
def test_bad_batches_get_the_drf_views_answer_and_store_nothing(walk, body, status, code):
    if isinstance(body, dict):  # times relative to the recording's start
        for fix in body["fixes"]:
            fix["t"] += walk["t0"]
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    fast = post(token_client(walk["token"]), walk["rid"], raw)
    drf = client_for(walk["a"].user).post(  # forced authentication: never the fast path
        f"/api/recordings/{walk['rid']}/batches/", raw, content_type="application/json"
    )
    assert fast.status_code == status == drf.status_code, fast.content
    assert fast.json() == drf.json()
    if code:
        assert fast.json()["code"] == code
    assert not RecordingBatch.objects.filter(recording_id=walk["rid"]).exists()


def test_a_missing_accuracy_is_stored_as_before(walk):
    body = {"seq": 5, "fixes": [{"t": walk["t0"] + 1, "lon": 116.32, "lat": 40.0}]}
    r = post(token_client(walk["token"]), walk["rid"], body)
    assert r.status_code == 201
    assert Recording.objects.get(pk=walk["rid"]).last_accuracy_m is None


def test_another_office_steward_cannot_store_into_a_recording(walk):
    stranger = f.steward(f.office(name="别的街道"))
    key = Token.objects.create(user=stranger.user).key
    r = post(token_client(key), walk["rid"], walk["bodies"][0])
    assert r.status_code == 404
    assert not RecordingBatch.objects.filter(recording_id=walk["rid"]).exists()
