"""Large hotspot runs as jobs: an uncached run above ALLEY_HOTSPOT_SYNC_WORK answers 202 with the
job to follow, the worker fills the cache, and the same question is then answered at once; small
runs stay in the request. The job's state is only for the person (or browser) who waits."""

from __future__ import annotations

import numpy as np
import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from hazards.models import HazardReport, HotspotCache
from jobs.queue import run_pending_jobs

from .factories import make_office, pt, user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("job_queue")]
API = "/api/hazards/hotspots/"


def _reports(office, n_background: int = 100, n_cluster: int = 60) -> None:
    rng = np.random.default_rng(9)
    xy = np.r_[
        np.c_[rng.uniform(116.3, 116.32, n_background), rng.uniform(40.0, 40.01, n_background)],
        rng.normal(0, 1, (n_cluster, 2)) * [0.0008, 0.0006] + (116.305, 40.005),
    ]
    cat = office.hazard_categories.get(code="clutter")
    HazardReport.objects.bulk_create(
        HazardReport(
            street_office=office, category=cat, location=pt(float(x), float(y)),
            reporter_kind="anonymous", status="reported", created_at=timezone.now(),
        )
        for x, y in xy
    )  # fmt: skip


@pytest.fixture
def supervisor(settings):
    settings.ALLEY_HOTSPOT_SYNC_WORK = 1_000  # the 1.7 km × 1.1 km test office counts as large
    office = make_office()
    _reports(office)
    c = Client()
    c.force_login(user("supervisor", office))
    return office, c


def test_a_large_uncached_run_is_a_job_whose_answer_is_then_immediate(supervisor):
    office, c = supervisor
    first = c.get(API, {"street_office": office.pk, "cell_m": 60})
    assert first.status_code == 202
    body = first.json()
    assert body["state"] == "queued" and body["status_url"] == f"/api/jobs/{body['job']}/"
    # Asking again while it waits joins the same job; nothing is computed in the request.
    assert c.get(API, {"street_office": office.pk, "cell_m": 60}).json()["job"] == body["job"]
    assert not HotspotCache.objects.exists()

    run_pending_jobs()

    state = c.get(body["status_url"]).json()
    assert state["state"] == "done" and state["result"]["status"] == 200
    assert state["result"]["n_cells"] > 150 and "cells" not in state["result"]
    answer = c.get(API, {"street_office": office.pk, "cell_m": 60})
    assert answer.status_code == 200 and answer.json()["cached"] is True
    assert answer.json()["n_hot"] == state["result"]["n_hot"]


def test_small_runs_stay_in_the_request(supervisor, settings):
    office, c = supervisor
    settings.ALLEY_HOTSPOT_SYNC_WORK = 10**12
    answer = c.get(API, {"street_office": office.pk, "cell_m": 60})
    assert answer.status_code == 200 and answer.json()["cached"] is False
    assert not ProcrastinateJob.objects.exists()


def test_the_job_is_rolled_back_with_its_transaction(supervisor):
    office, c = supervisor
    with pytest.raises(RuntimeError), transaction.atomic():
        assert c.get(API, {"street_office": office.pk, "cell_m": 60}).status_code == 202
        raise RuntimeError("the surrounding transaction fails")
    assert not ProcrastinateJob.objects.exists()


def test_a_refused_run_says_why_through_the_job(settings):
    settings.ALLEY_HOTSPOT_SYNC_WORK = 1_000
    office = make_office()
    _reports(office, n_background=10, n_cluster=5)
    c = Client()
    c.force_login(user("supervisor", office))
    job = c.get(API, {"street_office": office.pk, "cell_m": 60}).json()
    run_pending_jobs()
    result = c.get(job["status_url"]).json()["result"]
    assert result["refused"] is True and "15 条" in result["detail"]


def test_only_the_waiting_person_follows_the_job_and_other_offices_see_nothing(supervisor):
    office, c = supervisor
    job = c.get(API, {"street_office": office.pk, "cell_m": 60}).json()
    other_office = make_office("T2", x0=116.40)
    stranger = Client()
    stranger.force_login(user("supervisor", other_office))
    assert stranger.get(job["status_url"]).status_code == 404
    assert Client().get(job["status_url"]).status_code == 401
    run_pending_jobs()
    # The cells are read from the office-scoped API, never from the job.
    assert stranger.get(API, {"street_office": office.pk, "cell_m": 60}).status_code in (403, 404)


def test_the_map_page_waits_on_the_job_then_draws_the_cached_answer(supervisor):
    office, c = supervisor
    url = f"/hazards/map/?office={office.code}&cell_m=60"
    waiting = c.get(url).content.decode()
    assert 'data-testid="hotspot-job"' in waiting and 'id="hotspot-stats"' not in waiting
    run_pending_jobs()
    drawn = c.get(url).content.decode()
    assert 'id="hotspot-stats"' in drawn and 'data-testid="hotspot-job"' not in drawn
