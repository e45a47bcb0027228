"""Upload → rule, end to end: each upload defers a re-check job (committed with the upload); a
worker runs it and the job status carries the re-checked pair-day verdict."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.contrib.gis.geos import LineString
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from demo.simulate import gpx_bytes, simulate_pair_day
from jobs.queue import run_pending_jobs
from patrols.evaluation import evaluate_pair_day
from patrols.models import PairDayVerdict
from tests.patrols_tracks import factories as f

# The worker runs in other threads with its own connections: the data must really be committed.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("job_queue")]

DAY = date(2024, 5, 14)
# A 3 × 3 block of alleys, ~170 m apart, near Wudaokou.
LINES = [((116.320 + dx, 40.000), (116.320 + dx, 40.003)) for dx in (0.0, 0.002, 0.004)] + [
    ((116.320, 40.000 + dy), (116.324, 40.000 + dy)) for dy in (0.0, 0.0015, 0.003)
]


def _upload(user, track, name):
    client = APIClient()
    client.force_authenticate(user)
    data = gpx_bytes(track, name=name)
    return client.post(
        "/api/tracks/upload/", {"file": SimpleUploadedFile(f"{name}.gpx", data)}, format="multipart"
    )


def _verdicts(user, response) -> list[dict]:
    """Run the queued jobs as a worker does, then read the re-check's result as the page does."""
    recheck = response.json()["recheck"]
    assert recheck["state"] == "queued"
    run_pending_jobs()
    client = APIClient()
    client.force_authenticate(user)
    job = client.get(recheck["status_url"]).json()
    assert job["state"] == "done", job
    return job["result"]


def test_each_upload_returns_the_pair_day_verdict_and_matches_a_full_recheck():
    office = f.office()
    a, b = f.steward(office), f.steward(office)
    pair = f.pair(a, b)
    segments = f.claimed_alleys(pair, LINES)
    tracks = simulate_pair_day([s.geom for s in segments], DAY, scenario="normal", seed=7)

    first = _upload(a.user, tracks["a"], "a")
    assert first.status_code == 201, first.json()
    [alone] = _verdicts(a.user, first)
    assert alone["pair"] == pair.pk and alone["day"] == DAY.isoformat()
    assert alone["compliant"] is False  # the partner's track is not in yet

    second = _upload(b.user, tracks["b"], "b")
    assert second.status_code == 201, second.json()
    [together] = _verdicts(b.user, second)
    assert together["compliant"] is True, together
    assert together["minutes_together"] >= 120

    # The stored verdict equals a fresh re-check of the same pair-day.
    stored = PairDayVerdict.objects.get(pair=pair, day=DAY)
    again = evaluate_pair_day(pair, DAY)
    assert (again.compliant, again.minutes_qualifying) == (
        stored.compliant,
        stored.minutes_qualifying,
    )


def test_the_upload_page_follows_the_recheck_job_and_shows_the_speed_flag():
    from django.test import Client

    office = f.office()
    a, b = f.steward(office), f.steward(office)
    pair = f.pair(a, b)
    [seg] = f.claimed_alleys(pair, LINES[:1])
    ride = simulate_pair_day([seg.geom], DAY, scenario="vehicle", seed=4)["a"]
    c = Client()
    c.force_login(a.user)
    page = c.post(
        "/tracks/upload/", {"file": SimpleUploadedFile("ride.gpx", gpx_bytes(ride))}
    ).content.decode()
    # The page follows the re-check job (the browser polls its status; here: run it and ask).
    assert 'data-testid="recheck"' in page and "当日判定：排队中" in page
    run_pending_jobs()
    [job_id] = re.findall(r'data-job-status-url="/api/jobs/(\d+)/"', page)
    [verdict] = c.get(f"/api/jobs/{job_id}/").json()["result"]
    assert verdict["pair_name"] == pair.name and verdict["compliant"] is False
    # Flags are shown in words, never as codes.
    assert ("疑似乘车" in page or "多数时间快于步行" in page) and "_speed" not in page


def test_a_duplicate_upload_is_recognised_and_not_re_evaluated():
    office = f.office()
    a, b = f.steward(office), f.steward(office)
    f.pair(a, b)
    tracks = simulate_pair_day([LineString(LINES[0], srid=4326)], DAY, scenario="normal", seed=3)
    assert _upload(a.user, tracks["a"], "a").status_code == 201
    again = _upload(a.user, tracks["a"], "a")
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert "recheck" not in again.json()
