"""The worker compacts recordings whose phone went quiet: the periodic job, run by the job queue
against the real database, stores the tracks, queues the re-check once and closes stale ones."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from jobs.queue import app, run_pending_jobs
from patrols.models import PairDayVerdict, TrackUpload
from recorder import tasks
from recorder.compaction import staged_seqs
from recorder.models import Recording, RecordingBatch

from .helpers import batches, client_for, open_recording, pair_walk_on_claimed_alleys, send

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("job_queue")]


def test_compaction_of_idle_recordings_is_scheduled_every_five_minutes():
    crons = {t.task.name: t.cron for t in app.periodic_registry.periodic_tasks.values()}
    assert crons["recorder.compact_idle"] == "*/5 * * * *"


def test_the_periodic_job_compacts_a_recording_whose_phone_died():
    walk = pair_walk_on_claimed_alleys()
    a, track = walk["a"], walk["tracks"]["a"]
    c = client_for(a.user)
    rid = open_recording(c, float(track[0][0]))
    bodies = batches(track)
    for body in bodies[:40]:
        assert send(c, rid, body).status_code == 201
    # The phone died an hour ago (no "结束巡查"); another recording is still live.
    Recording.objects.filter(pk=rid).update(last_batch_at=timezone.now() - timedelta(hours=1))
    live = open_recording(client_for(walk["b"].user), float(track[0][0]))
    send(client_for(walk["b"].user), live, batches(walk["tracks"]["b"])[0])

    tasks.periodic_compact_idle.defer(timestamp=int(time.time()))
    run_pending_jobs(["periodic"])
    # (the worker may also have deferred the current tick's run itself: all of them succeeded)
    ran = ProcrastinateJob.objects.filter(task_name="recorder.compact_idle")
    assert ran.exists() and set(ran.values_list("status", flat=True)) == {"succeeded"}

    rec = Recording.objects.get(pk=rid)
    assert rec.upload is not None and rec.status == "open"  # idle, not yet stale
    assert staged_seqs(rid) == [] and staged_seqs(live) == [0]
    assert TrackUpload.objects.filter(steward=a).count() == 1
    rechecks = ProcrastinateJob.objects.filter(task_name="patrols.recheck_upload")
    assert [j.args["upload_id"] for j in rechecks] == [rec.upload_id]  # queued once
    run_pending_jobs(["rechecks"])
    assert PairDayVerdict.objects.filter(pair=walk["pair"]).exists()

    # Nothing new: the next tick does nothing; after 6 silent hours the recording is closed.
    assert tasks.compact_idle_recordings() == {"recordings": 0, "uploads": 0, "rejected": 0}
    Recording.objects.filter(pk=rid).update(
        last_batch_at=timezone.now() - timedelta(hours=7),
        created_at=timezone.now() - timedelta(hours=8),
    )
    tasks.compact_idle_recordings()
    assert Recording.objects.get(pk=rid).status == "closed"


def test_recordings_older_than_the_track_retention_are_deleted_with_their_fixes():
    walk = pair_walk_on_claimed_alleys()
    a, track = walk["a"], walk["tracks"]["a"]
    c = client_for(a.user)
    rid = open_recording(c, float(track[0][0]))  # 2024-05-14
    send(c, rid, batches(track)[0])
    kept = open_recording(client_for(walk["b"].user), float(track[0][0]))
    Recording.objects.filter(pk=kept).update(started_at=timezone.now())
    crons = {t.task.name: t.cron for t in app.periodic_registry.periodic_tasks.values()}
    assert crons["recorder.monthly_prune_recordings"] == "30 3 1 * *"
    assert tasks.prune_recordings(keep_months=24, today=date(2026, 4, 30)) == 0  # May 2024 kept
    deleted = tasks.prune_recordings(keep_months=24, today=date(2026, 5, 1))
    assert deleted >= 2  # the recording and its batch
    assert not Recording.objects.filter(pk=rid).exists()
    assert not RecordingBatch.objects.filter(recording_id=rid).exists()
    assert Recording.objects.filter(pk=kept).exists()
