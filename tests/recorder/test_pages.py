"""The recorder's pages: the PWA shell in both languages, its manifest and worker, the live map."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from geo.models import Membership
from recorder.models import Recording
from tests.patrols_tracks import factories as f

from .helpers import batches, client_for, open_recording, send

pytestmark = pytest.mark.django_db
CJK = re.compile(r"[\u4e00-\u9fff]")


def _login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_the_recorder_page_is_chinese_first_and_complete_in_english():
    office = f.office()
    steward = f.steward(office, name="王阿姨")
    c = _login(steward.user)
    zh = c.get("/patrol/").content.decode()
    assert "开始巡查" in zh and "结束巡查" in zh and 'rel="manifest"' in zh
    en = c.get("/en/patrol/").content.decode()
    assert "Start patrol" in en and "End patrol" in en
    # Nothing Chinese is left on the English page but the steward's and office's names.
    body = en.split("<main>", 1)[1].split("</main>", 1)[0]
    left = set(CJK.findall(body.replace(steward.name, "").replace(office.name, "")))
    assert not left, sorted(left)
    manifest = c.get("/en/patrol/manifest.webmanifest").json()
    assert manifest["start_url"] == "/en/patrol/" and manifest["display"] == "standalone"
    assert {i["sizes"] for i in manifest["icons"]} == {"192x192", "512x512"}
    worker = c.get("/patrol/sw.js")
    assert (
        worker["Content-Type"] == "application/javascript" and "/patrol/" in worker.content.decode()
    )


def test_the_live_map_is_for_the_offices_supervisors_and_the_command_compacts_idle_ones():
    office = f.office()
    steward = f.steward(office)
    sup = f.staff(office, Membership.Role.SUPERVISOR)
    assert _login(sup).get("/patrol/live/").status_code == 200
    assert _login(steward.user).get("/patrol/live/").status_code == 403
    c = client_for(steward.user)
    t0 = timezone.now().timestamp() - 700  # the last fix two minutes ago
    rid = open_recording(c, t0)
    track = (
        [t0 + i * 5 for i in range(120)],
        [116.33 + i * 4e-5 for i in range(120)],
        [40.0] * 120,
    )
    for body in batches(track):
        assert send(c, rid, body).status_code == 201
    live = client_for(sup).get("/api/recordings/live/").json()
    assert [p["properties"]["steward"] for p in live["features"]] == [steward.name]
    Recording.objects.filter(pk=rid).update(last_batch_at=timezone.now() - timedelta(minutes=30))
    call_command("compact_recordings", "--idle-minutes", "10")
    assert Recording.objects.get(pk=rid).upload is not None
