"""A steward reports a hazard with a photo in a real browser; the supervisor sees it on the map."""

from __future__ import annotations

import os

import numpy as np
import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from hazards.models import HazardReport

from .factories import jpeg_with_exif, make_office, pt, user

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENS = os.environ.get("ALLEY_SCREENSHOTS")


def _login(page, live_server, u) -> None:
    c = Client()
    c.force_login(u)
    page.context.clear_cookies()
    page.context.add_cookies(
        [{"name": "sessionid", "value": c.cookies["sessionid"].value, "url": live_server.url}]
    )


def _shot(page, tmp_path, name: str) -> None:
    page.screenshot(path=str((SCREENS and os.path.join(SCREENS, name)) or tmp_path / name))


def _map_features(page) -> list[dict]:
    return page.evaluate(
        """() => { const out = []; for (const k in window) { const v = window[k];
             if (v && v instanceof L.Map) { v.eachLayer(l => { if (l.feature) out.push(l.feature.properties || {}); }); } }
           return out; }"""
    )


def test_report_with_photo_then_see_it_on_the_supervisor_map(
    live_server, chromium_page, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    office = make_office()
    steward, supervisor = user("steward", office), user("supervisor", office)
    page = chromium_page
    _login(page, live_server, steward)
    page.goto(f"{live_server.url}/hazards/report/")
    page.wait_for_function("() => window.hazardPickMap !== undefined")
    page.select_option("#category", "wiring")
    box = page.locator("#pick-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)  # move the pin
    page.fill("#description", "3号楼楼道私拉电线给电动车充电")
    page.set_input_files(
        "#photos", files=[{"name": "p.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_exif()}]
    )
    _shot(page, tmp_path, "hazard-report-form.png")
    page.click("#submit")
    page.wait_for_function("() => document.getElementById('result').textContent.includes('#')")
    assert "已上报" in page.inner_text("#result")
    report = HazardReport.objects.get()
    assert report.reporter == steward and report.category.code == "wiring"
    assert report.location.x < 116.31  # the pin moved left of the centre, into community A
    assert report.community.code == "T1A"
    photo = report.photos.get()
    assert len(Image.open(photo.image.path).getexif()) == 0

    # A cluster of earlier reports so the hotspot statistic has something to say.
    rng = np.random.default_rng(5)
    cat = office.hazard_categories.get(code="clutter")
    xy = np.r_[
        np.c_[rng.uniform(116.3, 116.32, 80), rng.uniform(40.0, 40.01, 80)],
        rng.normal(0, 1, (50, 2)) * [0.0003, 0.0002] + (116.314, 40.006),
    ]
    HazardReport.objects.bulk_create(
        HazardReport(
            street_office=office,
            category=cat,
            location=pt(float(x), float(y)),
            reporter_kind="anonymous",
            created_at=timezone.now(),
        )
        for x, y in xy
    )
    _login(page, live_server, supervisor)
    page.goto(f"{live_server.url}/hazards/map/?cell_m=60")
    page.wait_for_function("() => window.L && typeof L.heatLayer === 'function'")
    feats = _map_features(page)
    assert report.pk in [f.get("id") for f in feats]
    hot = [f for f in feats if f.get("class") == "hot"]
    assert hot, "the planted cluster should show as hot cells"
    assert "Getis-Ord Gi*" in page.inner_text("#hotspot-stats")
    assert "131" in page.inner_text("#n-shown")
    _shot(page, tmp_path, "hazard-supervisor-map.png")

    # Filtering to the single wiring report: the statistic refuses and says why.
    page.goto(f"{live_server.url}/hazards/map/?category=wiring")
    assert "1 条" in page.inner_text("#hotspot-refusal")
    _shot(page, tmp_path, "hazard-map-refusal.png")


def test_grid_worker_accepts_a_report_on_the_cases_page(live_server, chromium_page, tmp_path):
    office = make_office()
    steward, gw = user("steward", office), user("grid_worker", office, "A")
    from hazards.closed_loop import create_report

    r = create_report(
        category=office.hazard_categories.get(code="clutter"),
        point=pt(116.305, 40.005),
        description="楼道堆放纸箱",
        reporter_kind="steward",
        reporter=steward,
    )
    page = chromium_page
    _login(page, live_server, gw)
    page.goto(f"{live_server.url}/hazards/cases/")
    row = page.locator(f"tr[data-id='{r.pk}']")
    assert "已上报" in row.inner_text()
    row.locator("input[name=note]").fill("情况属实，立案")
    _shot(page, tmp_path, "hazard-cases.png")
    row.locator("button[value=accepted]").click()
    page.wait_for_function(
        f"() => document.querySelector(\"tr[data-id='{r.pk}'] .status\").textContent.includes('已立案')"
    )
    r.refresh_from_db()
    assert r.status == "accepted" and r.events.last().note == "情况属实，立案"
    assert r.events.last().actor == gw
