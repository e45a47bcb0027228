"""Durable jobs on PostgreSQL (procrastinate): deferred in the data's own transaction, run by a real
worker in-process against PostGIS, their state and errors readable by the person who waits."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from procrastinate.contrib.django.models import ProcrastinateJob
from rest_framework.test import APIClient

from demo.simulate import gpx_bytes, simulate_pair_day
from jobs.queue import app, enqueue, run_pending_jobs
from patrols import tasks
from patrols.models import PairDayVerdict, TrackUpload
from tests.patrols_tracks import factories as f

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("job_queue")]

DAY = date(2024, 5, 14)
LINES = [((116.320 + dx, 40.000), (116.320 + dx, 40.003)) for dx in (0.0, 0.002)]


def _client(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def _pair_with_track():
    office = f.office()
    a, b = f.steward(office), f.steward(office)
    pair = f.pair(a, b)
    segments = f.claimed_alleys(pair, LINES)
    tracks = simulate_pair_day([s.geom for s in segments], DAY, scenario="normal", seed=7)
    return a, pair, gpx_bytes(tracks["a"], name="a")


def _upload(user, data: bytes):
    return _client(user).post(
        "/api/tracks/upload/", {"file": SimpleUploadedFile("a.gpx", data)}, format="multipart"
    )


def test_upload_queues_a_job_the_worker_runs_and_the_verdict_is_stored():
    a, pair, data = _pair_with_track()
    resp = _upload(a.user, data)
    assert resp.status_code == 201
    job_id = resp.json()["recheck"]["job"]
    assert ProcrastinateJob.objects.get(id=job_id).status == "todo"
    assert not PairDayVerdict.objects.filter(pair=pair, day=DAY).exists()

    run_pending_jobs()

    assert ProcrastinateJob.objects.get(id=job_id).status == "succeeded"
    assert PairDayVerdict.objects.filter(pair=pair, day=DAY).exists()
    status = _client(a.user).get(f"/api/jobs/{job_id}/").json()
    assert status["state"] == "done" and status["result"][0]["pair"] == pair.pk


def test_a_failure_after_commit_still_leaves_the_job_queued_and_the_verdict_comes(monkeypatch):
    """The response breaks after the upload committed: the re-check was committed with it."""
    a, pair, data = _pair_with_track()

    def broken_response(result):
        raise RuntimeError("the response failed after the commit")

    monkeypatch.setattr("patrols.api.tracks.upload_response", broken_response)
    with pytest.raises(RuntimeError):
        _upload(a.user, data)
    upload = TrackUpload.objects.get(steward=a)
    [job] = ProcrastinateJob.objects.filter(task_name="patrols.recheck_upload")
    assert job.status == "todo" and job.args == {"upload_id": upload.id}

    run_pending_jobs()
    assert PairDayVerdict.objects.filter(pair=pair, day=DAY).exists()


def test_a_rolled_back_transaction_takes_its_job_with_it():
    """The Django connector inserts the job row on Django's connection: inside atomic() it is part
    of the transaction (on_commit would not be)."""
    office = f.office()
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue(tasks.evaluate_office_day, office_id=office.id, day=DAY.isoformat())
        assert ProcrastinateJob.objects.count() == 1  # visible inside the transaction
        raise RuntimeError("the data's write failed")
    assert ProcrastinateJob.objects.count() == 0


def test_a_failed_job_says_why_in_words_to_staff_and_only_to_them(django_user_model):
    owner = django_user_model.objects.create_user("owner", password="pw-123456")
    job_id = enqueue(
        tasks.evaluate_office_day, requested_by=owner, office_id=987654, day=DAY.isoformat()
    )
    run_pending_jobs()
    status = _client(owner).get(f"/api/jobs/{job_id}/").json()
    assert status["state"] == "failed"
    assert "DoesNotExist" in status["error"] and "联系管理员" in status["error"]
    stranger = django_user_model.objects.create_user("stranger", password="pw-123456")
    assert _client(stranger).get(f"/api/jobs/{job_id}/").status_code == 404
    assert APIClient().get(f"/api/jobs/{job_id}/").status_code in (401, 403)


def test_the_nightly_evaluation_fans_out_one_job_per_office_and_day():
    a, pair, data = _pair_with_track()
    other = f.office(name="另一街道")
    ids = tasks.fan_out_evaluation([DAY, date(2024, 5, 15)])
    offices = {a.street_office_id, other.id}
    jobs = ProcrastinateJob.objects.filter(id__in=ids)
    assert {(j.args["office_id"], j.args["day"]) for j in jobs} == {
        (o, d) for o in offices for d in ("2024-05-14", "2024-05-15")
    }
    run_pending_jobs()
    assert set(ProcrastinateJob.objects.filter(id__in=ids).values_list("status", flat=True)) == {
        "succeeded"
    }


def test_periodic_work_is_scheduled():
    crons = {t.task.name: t.cron for t in app.periodic_registry.periodic_tasks.values()}
    assert crons["patrols.nightly_evaluation"] == "30 1 * * *"
    assert crons["patrols.monthly_prune_tracks"] == "0 3 1 * *"


def test_the_quarterly_assessment_is_for_the_quarter_just_ended():
    from credits.tasks import previous_quarter

    assert previous_quarter(date(2026, 10, 2)) == "2026Q3"
    assert previous_quarter(date(2027, 1, 2)) == "2026Q4"
    crons = {t.task.name: t.cron for t in app.periodic_registry.periodic_tasks.values()}
    assert crons["credits.quarterly_assessment"] == "0 4 2 1,4,7,10 *"


def test_evaluate_patrols_enqueue_defers_one_locked_job_per_day():
    from django.core.management import call_command

    office = f.office()
    call_command(
        "evaluate_patrols", office=office.code, start=DAY, end=date(2024, 5, 16), enqueue=True
    )
    jobs = ProcrastinateJob.objects.filter(task_name="patrols.evaluate_office_day")
    assert sorted(j.lock for j in jobs) == [
        f"evaluate:{office.id}:2024-05-{d}" for d in (14, 15, 16)
    ]
    run_pending_jobs()
    assert set(jobs.values_list("status", flat=True)) == {"succeeded"}


def test_finished_jobs_are_pruned_after_30_days_and_queued_ones_never():
    from django.db import connection

    from jobs.tasks import prune_finished_jobs

    office = f.office()
    done = enqueue(tasks.evaluate_office_day, office_id=office.id, day=DAY.isoformat())
    run_pending_jobs()
    waiting = enqueue(tasks.evaluate_office_day, office_id=office.id, day="2024-05-15")
    with connection.cursor() as cur:
        cur.execute("UPDATE procrastinate_events SET at = now() - interval '31 days'")
    # A worker also defers the periodic jobs due now (recorder.compact_idle runs every 5 minutes).
    periodic = ProcrastinateJob.objects.filter(queue_name="periodic").count()
    assert prune_finished_jobs() == 1 + periodic
    assert list(ProcrastinateJob.objects.values_list("id", flat=True)) == [waiting]
    assert done != waiting
