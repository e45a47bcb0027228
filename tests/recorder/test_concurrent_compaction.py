"""Two compactions of one recording at once, and a batch arriving while one holds it: each fix is
stored once, none is lost, and a failed compaction leaves its batches for the next one. Real
connections in threads (committed data), since the point is what one transaction sees of
another's."""

from __future__ import annotations

import threading
import time
import uuid

import numpy as np
import pytest
from django.db import connection, connections, transaction

from patrols.models import Track, TrackUpload
from recorder.compaction import compact, staged_seqs
from recorder.models import Recording
from recorder.staging import Fixes, store_batch

from .helpers import batches, client_for, open_recording, pair_walk_on_claimed_alleys, send

pytestmark = pytest.mark.django_db(transaction=True)


def _waiting_on_locks() -> int:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cur.fetchone()[0]


def _until(condition, seconds: float = 20.0) -> None:
    stop = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < stop, "timed out"
        time.sleep(0.02)


def _in_thread(fn, out: dict, key: str) -> threading.Thread:
    def run() -> None:
        try:
            out[key] = fn()
        except BaseException as exc:  # reported by the test, not lost in the thread
            out[key] = exc
        finally:
            connections.close_all()

    th = threading.Thread(target=run)
    th.start()
    return th


def _fixes(body: dict) -> Fixes:
    cols = {k: np.array([f[k] for f in body["fixes"]], dtype=float) for k in ("t", "lon", "lat")}
    return Fixes(cols["t"], cols["lon"], cols["lat"], np.full(len(body["fixes"]), 8.0))


def test_two_compactions_at_once_and_a_batch_meanwhile_store_every_fix_once():
    walk = pair_walk_on_claimed_alleys()
    a, track = walk["a"], walk["tracks"]["a"]
    c = client_for(a.user)
    rid = open_recording(c, float(track[0][0]))
    bodies = batches(track)[:21]
    for body in bodies[:20]:
        assert send(c, rid, body).status_code == 201
    rec = Recording.objects.get(pk=rid)
    out: dict = {}
    stored, release = threading.Event(), threading.Event()

    def first():
        # A compaction that has claimed and stored, its transaction not yet committed.
        with transaction.atomic():
            result = compact(Recording.objects.get(pk=rid), recheck=False)
            stored.set()
            assert release.wait(20)
        return result

    one = _in_thread(first, out, "first")
    _until(lambda: stored.is_set() or "first" in out)
    two = _in_thread(lambda: compact(Recording.objects.get(pk=rid), recheck=False), out, "second")
    late = _in_thread(lambda: store_batch(uuid.UUID(rid), 20, _fixes(bodies[20])), out, "late")
    _until(lambda: _waiting_on_locks() >= 2)  # the second compaction and the batch wait
    release.set()
    for th in (one, two, late):
        th.join(30)
    for key in ("first", "second", "late"):
        assert not isinstance(out[key], BaseException), out[key]
    assert out["late"] is True  # the batch was stored

    third = compact(rec, recheck=False)  # whatever the second did not see
    sent = sum(len(b["fixes"]) for b in bodies)
    claimed = [out["first"].points, out["second"].points, third.points]
    assert out["first"].points == 20 * 30
    assert sum(claimed) == sent  # each fix claimed exactly once
    assert staged_seqs(rid) == []
    uploads = TrackUpload.objects.filter(steward=a)
    assert uploads.count() == sum(1 for n in claimed if n)
    stored = sum(t.point_count for t in Track.objects.filter(steward=a))
    assert stored <= sent and stored >= sent - 10  # cleaning may drop a spike, never duplicates


def test_a_compaction_that_fails_leaves_its_batches_for_the_next():
    walk = pair_walk_on_claimed_alleys()
    a, track = walk["a"], walk["tracks"]["a"]
    c = client_for(a.user)
    rid = open_recording(c, float(track[0][0]))
    bodies = batches(track)[:10]
    for body in bodies:
        assert send(c, rid, body).status_code == 201
    rec = Recording.objects.get(pk=rid)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        assert compact(rec, recheck=False).points == 300  # claimed and stored ...
        raise Boom  # ... and then the transaction fails
    assert staged_seqs(rid) == list(range(10))
    assert not TrackUpload.objects.filter(steward=a).exists()
    assert Recording.objects.get(pk=rid).upload_id is None

    assert compact(rec, recheck=False).points == 300
    assert (
        staged_seqs(rid) == [] and compact(rec, recheck=False).points == 0
    )  # and a second run: nothing new
    assert TrackUpload.objects.filter(steward=a).count() == 1
