"""The recording's upload key (recorder/upload_keys.py): handed to the opener only, good for its
own open recording only, one statement per good batch, the DRF view's answers otherwise, and
ended by finishing, logging out or deactivation."""

from __future__ import annotations

import copy
import json
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from geo.models import Membership
from recorder.models import Recording, RecordingBatch
from tests.patrols_tracks import factories as f

from .helpers import batches, client_for, device_id, pair_walk_on_claimed_alleys
from .test_batch_fast_path import BAD

# Copied at collection: the other module's test shifts those bodies' times in place.
BAD_BODIES = copy.deepcopy(BAD)

pytestmark = pytest.mark.django_db


def open_with_key(client, t0: float, rid: str | None = None, device: str | None = None, **extra):
    body = {"id": rid or str(uuid.uuid4()), "device_id": device or device_id(), "started_at": t0}
    r = client.post("/api/recordings/", body | extra, format="json")
    assert r.status_code in (200, 201), r.json()
    return r.json()


@pytest.fixture
def walk():
    w = pair_walk_on_claimed_alleys()
    w["t0"] = float(w["tracks"]["a"][0][0])
    w["device"] = device_id()
    opened = open_with_key(client_for(w["a"].user), w["t0"], device=w["device"])
    w["rid"], w["key"] = opened["id"], opened["upload_key"]
    w["bodies"] = batches(w["tracks"]["a"])
    return w


def post(rid: str, body, key: str | None, client: Client | None = None, **headers):
    raw = body if isinstance(body, (bytes, str)) else json.dumps(body)
    if key is not None:
        headers["HTTP_AUTHORIZATION"] = f"Recording {key}"
    return (client or Client()).post(
        f"/api/recordings/{rid}/batches/", raw, content_type="application/json", **headers
    )


def stored(rid: str) -> int:
    return RecordingBatch.objects.filter(recording_id=rid).count()


def test_a_key_batch_is_one_statement_without_session_user_or_csrf(walk):
    assert len(walk["key"]) >= 40
    rec = Recording.objects.get(pk=walk["rid"])
    assert walk["key"] not in rec.upload_key_hash and len(rec.upload_key_hash) == 64
    # The phone's page also sends its session cookie, without a CSRF token here: the key is enough.
    phone = Client(enforce_csrf_checks=True)
    phone.force_login(walk["a"].user)
    with CaptureQueriesContext(connection) as queries:
        r = post(walk["rid"], walk["bodies"][0], walk["key"], phone)
    assert r.status_code == 201 and r.json() == {"stored": True, "seq": 0, "fixes": 30}
    assert len(queries.captured_queries) == 1
    assert "django_session" not in queries.captured_queries[0]["sql"]
    again = post(walk["rid"], walk["bodies"][0], walk["key"])  # a resend: the DRF view's answer
    assert again.status_code == 200 and again.json()["stored"] is False
    assert stored(walk["rid"]) == 1


def test_the_key_is_only_for_the_opener_and_rotates_on_reopen(walk):
    a = walk["a"]
    again = open_with_key(client_for(a.user), walk["t0"], rid=walk["rid"], device=walk["device"])
    assert again["id"] == walk["rid"] and again["upload_key"] not in (None, walk["key"])
    old = post(walk["rid"], walk["bodies"][0], walk["key"])
    assert old.status_code == 401 and old.json()["code"] == "bad_upload_key"
    assert post(walk["rid"], walk["bodies"][0], again["upload_key"]).status_code == 201
    # A supervisor records for the steward; the steward re-opening it gets no key.
    boss = f.staff(walk["office"], Membership.Role.SUPERVISOR)
    dev = device_id()
    theirs = open_with_key(client_for(boss), walk["t0"], device=dev, steward=a.id)
    assert theirs["upload_key"]
    mine = open_with_key(client_for(a.user), walk["t0"], rid=theirs["id"], device=dev)
    assert mine["id"] == theirs["id"] and mine["upload_key"] is None
    body = walk["bodies"][1]
    assert post(theirs["id"], body, theirs["upload_key"]).status_code == 201  # not rotated


def test_a_key_works_for_its_own_recording_only(walk):
    a, b = walk["a"], walk["b"]
    mine2 = open_with_key(client_for(a.user), walk["t0"])
    partner = open_with_key(client_for(b.user), walk["t0"])
    for rid in (mine2["id"], partner["id"], str(uuid.uuid4())):
        r = post(rid, walk["bodies"][0], walk["key"])
        assert r.status_code == 401 and r.json()["code"] == "bad_upload_key"
        assert r["WWW-Authenticate"].startswith("Recording")
        assert stored(rid) == 0


def test_a_wrong_or_empty_key_is_401_with_a_reason(walk):
    for key in ("x" * 43, walk["key"][:-1] + ("A" if walk["key"][-1] != "A" else "B")):
        r = post(walk["rid"], walk["bodies"][0], key)
        assert r.status_code == 401 and "detail" in r.json()
    r = post(walk["rid"], walk["bodies"][0], None, HTTP_AUTHORIZATION="Recording")
    assert r.status_code == 401
    assert stored(walk["rid"]) == 0


def test_finishing_ends_the_key(walk):
    assert post(walk["rid"], walk["bodies"][0], walk["key"]).status_code == 201
    done = client_for(walk["a"].user).post(f"/api/recordings/{walk['rid']}/finish/")
    assert done.status_code == 200
    assert Recording.objects.get(pk=walk["rid"]).upload_key_hash == ""
    late = post(walk["rid"], walk["bodies"][1], walk["key"])
    assert late.status_code == 401 and late.json()["code"] == "bad_upload_key"
    reopened = open_with_key(
        client_for(walk["a"].user), walk["t0"], rid=walk["rid"], device=walk["device"]
    )
    assert reopened["status"] == "closed" and reopened["upload_key"] is None


def test_logout_ends_the_key(walk):
    c = Client()
    c.force_login(walk["a"].user)
    c.logout()  # sends user_logged_out, as the logout view does
    r = post(walk["rid"], walk["bodies"][0], walk["key"])
    assert r.status_code == 401 and stored(walk["rid"]) == 0


def test_deactivation_ends_the_key_in_the_same_statement(walk):
    user = walk["a"].user
    user.is_active = False
    user.save()
    with CaptureQueriesContext(connection) as queries:
        r = post(walk["rid"], walk["bodies"][0], walk["key"])
    assert r.status_code == 401 and stored(walk["rid"]) == 0
    assert "is_active" in queries.captured_queries[0]["sql"]  # the fast path's own statement


@pytest.mark.parametrize(("body", "status", "code"), BAD_BODIES)
def test_bad_batches_with_the_key_get_the_drf_views_answer(walk, body, status, code):
    if isinstance(body, dict):
        body = json.loads(json.dumps(body))
        for fix in body["fixes"]:
            fix["t"] += walk["t0"]
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    fast = post(walk["rid"], raw, walk["key"])
    drf = client_for(walk["a"].user).post(
        f"/api/recordings/{walk['rid']}/batches/", raw, content_type="application/json"
    )
    assert fast.status_code == status == drf.status_code, fast.content
    assert fast.json() == drf.json()
    assert stored(walk["rid"]) == 0
