"""The sign-up sheet import as a job: cheap checks answer 400 with the reason before anything is
stored; the sheet waits privately (never in the database: it carries ID numbers) for its job, which
imports in one transaction; the same sheet posted again is recognised; the report is the job's."""

from __future__ import annotations

import io

import pytest
from django.db import connection, transaction
from procrastinate.contrib.django.models import ProcrastinateJob
from rest_framework.test import APIClient

from jobs.queue import run_pending_jobs
from stewards import sheet_store
from stewards.models import SheetImport, Steward
from tests.grids import factories as f

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("job_queue")]
URL = "/api/patrols/stewards/import/"


@pytest.fixture
def ctx(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    so = f.office()
    comm = f.community(so, name="荷清苑社区")
    client = APIClient()
    planner = f.user(so)
    client.force_authenticate(planner)
    return so, comm, client, planner


def _sheet(text: str, name: str = "s.csv") -> io.BytesIO:
    sheet = io.BytesIO(text.encode())
    sheet.name = name
    return sheet


def _post(c, so, text: str, name: str = "s.csv"):
    return c.post(URL, {"street_office": so.pk, "file": _sheet(text, name)}, format="multipart")


GOOD = "姓名,身份证号码,联系电话,社区\n甲,{a},1380,荷清苑社区\n乙,123,1381,荷清苑社区\n"


def test_the_import_is_a_job_whose_report_lists_created_and_refused_rows(ctx):
    so, _comm, c, _ = ctx
    number = f.id_number(23)
    r = _post(c, so, GOOD.format(a=number))
    assert r.status_code == 202, r.content
    body = r.json()
    assert body["state"] == "queued" and body["repeat"] is False
    assert not Steward.objects.exists()
    # Waiting: the file is on disk (owner-only), never in the database.
    sheet = SheetImport.objects.get(pk=body["import"])
    assert (sheet_store.folder() / sheet.stored_as).stat().st_mode & 0o777 == 0o600
    with connection.cursor() as cur:
        cur.execute("SELECT row_to_json(s)::text FROM stewards_sheetimport s")
        assert number not in cur.fetchone()[0]

    run_pending_jobs()

    state = c.get(body["status_url"]).json()
    assert state["state"] == "done"
    assert state["result"]["created"] == 1 and state["result"]["errors"][0]["row"] == 3
    assert number not in str(state)
    assert Steward.objects.count() == 1
    assert not any(sheet_store.folder().iterdir())  # the sheet is gone once imported


def test_the_same_sheet_posted_again_is_recognised(ctx):
    so, _comm, c, _ = ctx
    text = GOOD.format(a=f.id_number(24))
    first = _post(c, so, text).json()
    again = _post(c, so, text)
    assert again.status_code == 200 and again.json()["repeat"] is True
    assert again.json()["job"] == first["job"] and ProcrastinateJob.objects.count() == 1
    run_pending_jobs()
    done = _post(c, so, text).json()
    assert done["state"] == "done" and done["result"]["created"] == 1
    assert Steward.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("s.txt", "姓名,身份证号码,联系电话,社区\n", "CSV 或 Excel"),
        ("s.csv", "姓名,电话\n甲,1380\n", "身份证号码"),
        ("s.xlsx", "not a workbook", "Excel"),
    ],
)
def test_bad_sheets_are_refused_with_the_reason_before_anything_is_stored(ctx, name, text, reason):
    so, _comm, c, _ = ctx
    r = _post(c, so, text, name)
    assert r.status_code == 400 and reason in r.content.decode()
    assert not SheetImport.objects.exists() and not ProcrastinateJob.objects.exists()


def test_a_sheet_over_the_size_limit_is_refused(ctx, settings):
    so, _comm, c, _ = ctx
    settings.ALLEY_SHEET_MAX_BYTES = 20
    r = _post(c, so, GOOD.format(a=f.id_number(25)))
    assert r.status_code == 400 and not SheetImport.objects.exists()


def test_the_job_is_rolled_back_with_the_stored_sheet(ctx):
    so, _comm, c, _ = ctx
    with pytest.raises(RuntimeError), transaction.atomic():
        assert _post(c, so, GOOD.format(a=f.id_number(26))).status_code == 202
        raise RuntimeError("the surrounding transaction fails")
    assert not SheetImport.objects.exists() and not ProcrastinateJob.objects.exists()


def test_an_import_that_fails_half_way_leaves_nothing_and_says_why_in_both_languages(
    ctx, monkeypatch
):
    so, _comm, c, _ = ctx
    rows = "".join(f"人{i},{f.id_number(100 + i)},138{i:04d},荷清苑社区\n" for i in range(3))
    job = _post(c, so, "姓名,身份证号码,联系电话,社区\n" + rows).json()
    from stewards import registry

    real, calls = registry.register_steward, []

    def fails_on_the_third_row(**kw):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the worker dies mid-sheet")
        return real(**kw)

    monkeypatch.setattr("stewards.sheet_import.register_steward", fails_on_the_third_row)
    run_pending_jobs()
    assert not Steward.objects.exists()  # the first two rows went with the failed transaction
    zh = c.get(job["status_url"]).json()
    assert zh["state"] == "failed" and "任务出错" in zh["error"]
    en = c.get(job["status_url"] + "?lang=en").json()
    assert "The job failed" in en["error"]
    # Posted again after a failure, it is imported anew.
    monkeypatch.setattr("stewards.sheet_import.register_steward", real)
    retry = _post(c, so, "姓名,身份证号码,联系电话,社区\n" + rows)
    assert retry.status_code == 202 and retry.json()["job"] != job["job"]
    run_pending_jobs()
    assert Steward.objects.count() == 3


def test_only_the_uploader_follows_the_job_and_other_offices_cannot_post(ctx):
    so, comm, c, _ = ctx
    job = _post(c, so, GOOD.format(a=f.id_number(27))).json()
    colleague = APIClient()
    colleague.force_authenticate(f.user(so))
    assert colleague.get(job["status_url"]).status_code == 404
    assert APIClient().get(job["status_url"]).status_code == 401
    other = APIClient()
    other.force_authenticate(f.user(f.office()))
    assert _post(other, so, GOOD.format(a=f.id_number(28))).status_code in (403, 404)


def test_sheets_left_by_failed_imports_are_removed_after_a_week(ctx):
    import os
    import time

    from jobs.queue import app

    sheet_store.folder().mkdir(parents=True, exist_ok=True)
    stale, fresh = sheet_store.store(b"a", "x.csv"), sheet_store.store(b"b", "y.csv")
    week_ago = time.time() - 8 * 86400
    os.utime(sheet_store.folder() / stale, (week_ago, week_ago))
    assert sheet_store.prune_stale() == 1
    assert sheet_store.load(stale) is None and sheet_store.load(fresh) == b"b"
    crons = {t.task.name: t.cron for t in app.periodic_registry.periodic_tasks.values()}
    assert crons["stewards.prune_stale_sheets"] == "45 4 * * *"
