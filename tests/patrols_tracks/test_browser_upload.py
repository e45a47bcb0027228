"""The mobile upload page in a real (headless) phone-sized browser."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings as dj_settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from patrols.models import Track
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.patrols_tracks import factories as f
from tests.patrols_tracks.test_api_upload import gpx, walk

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(dj_settings.BASE_DIR) / "var" / "screenshots"


def _session_cookie(user) -> str:
    s = SessionStore()
    s[SESSION_KEY] = str(user.pk)
    s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    s.save()
    return s.session_key


def test_steward_uploads_a_gpx_from_a_phone(live_server, tmp_path) -> None:
    from playwright.sync_api import sync_playwright

    steward = f.steward(f.office())
    gpx_file = tmp_path / "patrol.gpx"
    points = walk(30)
    gpx_file.write_bytes(gpx(points[:6] + [points[5]] + points[6:]))  # one fix twice
    bad_file = tmp_path / "old.gpx"
    bad_file.write_bytes(gpx(walk(5, start="1901-12-13T20:45")))
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
        )
        try:
            ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
            ctx.add_cookies(
                [
                    {
                        "name": dj_settings.SESSION_COOKIE_NAME,
                        "value": _session_cookie(steward.user),
                        "url": live_server.url,
                    }
                ]
            )
            page = ctx.new_page()
            page.goto(f"{live_server.url}/tracks/upload/")
            page.screenshot(path=str(SHOTS / "track_upload_form.png"), full_page=True)
            page.set_input_files("#file", str(gpx_file))
            page.click("button[type=submit]")
            page.wait_for_selector(".msg.ok")
            assert "上传成功" in page.inner_text(".msg.ok")
            assert page.locator("table.tracks tr").count() == 2
            cleaning = page.inner_text("[data-testid=cleaning]")
            assert "读取 31 个点，保存 30 个点" in cleaning and "1 个点时间重复" in cleaning
            assert "patrol.gpx" in page.inner_text("[data-testid=recent]")
            page.screenshot(path=str(SHOTS / "track_upload_done.png"), full_page=True)
            page.set_input_files("#file", str(bad_file))
            page.click("button[type=submit]")
            page.wait_for_selector(".msg.err")
            assert "1901-12-13T20:45:00Z" in page.inner_text(".msg.err")
            page.screenshot(path=str(SHOTS / "track_upload_error.png"), full_page=True)
        finally:
            browser.close()
    assert Track.objects.filter(steward=steward).count() == 1
