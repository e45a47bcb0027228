"""Board PDF/PNG through a render job: 202 and a waiting page, the worker prints with chromium, the
file is kept privately and served again while the board is unchanged; failures are in words."""

from __future__ import annotations

import io
import re
import shutil

import pytest
from django.db import transaction
from django.test import Client
from procrastinate.contrib.django.models import ProcrastinateJob

from jobs.models import JobRecord
from jobs.queue import run_pending_jobs
from stewards.models import Pair
from tests.grids import factories as f

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("job_queue")]
needs_chromium = pytest.mark.skipif(
    not shutil.which("chromium"), reason="needs Debian's chromium to print the board"
)


@pytest.fixture
def board(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return f.board_community()[0]


def _job_of(page) -> int:
    return int(re.search(r"/api/jobs/(\d+)/", page.content.decode())[1])


def _download(client: Client, url: str):
    """What a browser does: the 202 page follows the job; when it is done the file is there."""
    waiting = client.get(url)
    assert waiting.status_code == 202
    run_pending_jobs()
    done = client.get(url)
    assert done.status_code == 200, done.status_code
    return b"".join(done.streaming_content), _job_of(waiting)


@needs_chromium
def test_the_board_downloads_as_pdf_and_png_through_a_job(board, client):
    from PIL import Image

    pdf, job_id = _download(client, f"/plan/board/{board.pk}/board.pdf")
    assert pdf.startswith(b"%PDF")
    state = client.get(f"/api/jobs/{job_id}/").json()  # anonymous: followed by its session
    assert state["state"] == "done" and state["result"]["bytes"] == len(pdf)
    png, _ = _download(client, f"/plan/board/{board.pk}/board.png?paper=A4")
    img = Image.open(io.BytesIO(png)).convert("RGB")
    assert img.size == (1123, 794)
    # The pair colour (#4e79a7) was drawn: the map rendered offline from the inlined Leaflet.
    assert (0x4E, 0x79, 0xA7) in {c for _, c in img.getcolors(1_000_000)}
    # Unchanged board: the stored render goes out at once, no second job.
    again = client.get(f"/plan/board/{board.pk}/board.pdf")
    # (Count the render jobs only: the worker also defers periodic jobs such as idle compaction.)
    renders = ProcrastinateJob.objects.filter(task_name="grids.render_board")
    assert again.status_code == 200 and renders.count() == 2


@needs_chromium
@pytest.mark.parametrize("paper", ["A3", "A4"])
def test_the_pdf_is_one_sheet_with_the_map_and_the_qr_code(board, client, paper):
    from pypdf import PdfReader

    pdf, _ = _download(client, f"/plan/board/{board.pk}/board.pdf?paper={paper}")
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    width, height = (float(x) for x in reader.pages[0].mediabox[2:])
    expected = {"A3": (1190.6, 841.9), "A4": (841.9, 595.3)}[paper]  # landscape, in points
    assert (width, height) == pytest.approx(expected, abs=2)
    assert "/plan/board/" in reader.pages[0].extract_text()  # the QR code's address as text


def test_a_changed_board_is_rendered_again_and_two_waiters_share_one_job(board, client):
    first = client.get(f"/plan/board/{board.pk}/board.pdf")
    second = Client().get(f"/plan/board/{board.pk}/board.pdf")
    assert _job_of(first) == _job_of(second) and ProcrastinateJob.objects.count() == 1
    Pair.objects.filter(community=board).update(name="华清新一组")  # the board changed: new render
    third = client.get(f"/plan/board/{board.pk}/board.pdf")
    assert third.status_code == 202 and _job_of(third) != _job_of(first)


def test_the_render_job_is_rolled_back_with_its_transaction(board, client):
    with pytest.raises(RuntimeError), transaction.atomic():
        assert client.get(f"/plan/board/{board.pk}/board.png").status_code == 202
        assert ProcrastinateJob.objects.count() == 1
        raise RuntimeError("the request's transaction fails after the render was asked for")
    assert ProcrastinateJob.objects.count() == 0 and JobRecord.objects.count() == 0


def test_a_failed_render_says_why_in_both_languages_and_a_retry_starts_a_new_job(
    board, client, settings
):
    settings.CHROMIUM_PATH = "/bin/false"
    job_id = _job_of(client.get(f"/plan/board/{board.pk}/board.pdf"))
    run_pending_jobs()
    zh = client.get(f"/api/jobs/{job_id}/").json()
    assert zh["state"] == "failed" and "浏览器未能生成 PDF 文件" in zh["error"]
    en = client.get(f"/api/jobs/{job_id}/?lang=en").json()
    assert en["state"] == "failed" and "could not produce the PDF" in en["error"]
    retry = client.get(f"/plan/board/{board.pk}/board.pdf")
    assert retry.status_code == 202 and _job_of(retry) != job_id


def test_only_the_waiting_browser_follows_and_files_stay_with_their_board(board, client):
    planner = f.user(board.street_office)
    job_id = _job_of(client.get(f"/plan/board/{board.pk}/board.pdf"))
    assert client.get(f"/api/jobs/{job_id}/").status_code == 200
    assert Client().get(f"/api/jobs/{job_id}/").status_code == 401  # no session, no account
    other = Client()
    other.force_login(planner)
    assert other.get(f"/api/jobs/{job_id}/").status_code == 404  # not theirs, not shown to them
    # A render is fetched only through the community it prints, and only by a well-formed key.
    other_comm = f.community(board.street_office, name="清华园社区")
    folder = settings_media(board.pk)
    folder.mkdir(parents=True, exist_ok=True)
    key = "a" * 64
    (folder / f"{key}.pdf").write_bytes(b"%PDF-1.4 test")
    assert client.get(f"/plan/board/{board.pk}/render/{key}.pdf").status_code == 200
    assert client.get(f"/plan/board/{other_comm.pk}/render/{key}.pdf").status_code == 404
    assert client.get(f"/plan/board/{board.pk}/render/..%2F{key}.pdf").status_code == 404


def settings_media(community_id: int):
    from grids.board_renders import folder

    return folder(community_id)


def test_old_renders_are_pruned_and_the_nightly_job_is_scheduled(board):
    import os
    import time

    from grids.board_renders import prune
    from jobs.queue import app

    folder = settings_media(board.pk)
    folder.mkdir(parents=True, exist_ok=True)
    old, new = folder / f"{'b' * 64}.pdf", folder / f"{'c' * 64}.pdf"
    old.write_bytes(b"%PDF"), new.write_bytes(b"%PDF")
    week_ago = time.time() - 8 * 86400
    os.utime(old, (week_ago, week_ago))
    assert prune() == 1 and not old.exists() and new.exists()
    crons = {t.task.name: t.cron for t in app.periodic_registry.periodic_tasks.values()}
    assert crons["grids.prune_board_renders"] == "40 4 * * *"
