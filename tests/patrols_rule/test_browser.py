"""The compliance table and the coverage map in a real browser (Debian chromium via Playwright)."""

from __future__ import annotations

import json
import math
import os
from datetime import date
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from geo.models import Membership
from patrols.coverage_queries import coverage_geojson
from patrols.evaluation import evaluate_pair_day
from tests.conftest import CHROMIUM, CHROMIUM_ARGS

from . import factories, synth

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
T0 = synth.local(2024, 5, 14, 8, 0)


@pytest.fixture
def page(live_server):
    from playwright.sync_api import sync_playwright

    block = factories.block_office()
    other = factories.make_pair(
        block["office"], block["community"], "第二组", [block["segments"]["n"]]
    )
    a, b = factories.stewards_of(block["pair"])
    c, _ = factories.stewards_of(other)
    south = synth.np.array([(0, 0), (300, 0), (0, 0)], dtype=float)
    loader = factories.DictLoader(
        {
            a: synth.walk(T0, 7500, seed=1),
            b: synth.walk(T0, 7500, seed=2, phase_m=4),
            c: synth.walk(T0, 900, path_xy=south, seed=3),
        }
    )
    for pair in (block["pair"], other):
        evaluate_pair_day(pair, date(2024, 5, 14), points_loader=loader)
    User.objects.create_user("sup", password="pw-123456")
    Membership.objects.create(
        user=User.objects.get(username="sup"),
        street_office=block["office"],
        role=Membership.Role.SUPERVISOR,
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
        )
        # Log in through a session made by Django's test client (no login page needed).
        client = Client()
        client.force_login(User.objects.get(username="sup"))
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "url": live_server.url,
                }
            ]
        )
        pg = context.new_page()
        yield pg, live_server.url, block
        browser.close()


def test_the_compliance_table_filters_and_exports_in_a_browser(page):
    pg, url, block = page
    pg.goto(f"{url}/patrols/compliance/?from=2024-05-14&to=2024-05-14")
    rows = pg.locator("#compliance tbody tr")
    assert rows.count() == 2
    assert "共 2 组日，达标 1 组日" in pg.inner_text("#summary")
    pg.screenshot(path=str(SHOTS / "compliance.png"), full_page=True)
    pg.select_option("select[name=verdict]", "noncompliant")
    pg.click("#filters button[type=submit]")
    pg.wait_for_load_state()
    assert pg.locator("#compliance tbody tr").count() == 1
    assert "第二组" in pg.inner_text("#compliance tbody")
    assert "当天只有 1 名组员" in pg.inner_text("#compliance tbody")
    with pg.expect_download() as dl:
        pg.click("#export-xlsx")
    assert dl.value.suggested_filename.endswith(".xlsx")
    # The pair's calendar, from the table.
    pg.click("#compliance tbody a[href*='/calendar/']")
    pg.wait_for_load_state()
    assert pg.locator('#calendar td[data-day="2024-05-14"].bad').count() == 1
    pg.screenshot(path=str(SHOTS / "pair_calendar.png"), full_page=True)
    # The day, from the calendar: its map and verdict.
    pg.click('#calendar td[data-day="2024-05-14"] a')
    pg.wait_for_selector("[data-testid=pair-day]")
    assert "未达标" in pg.inner_text("[data-testid=pair-day]")
    pg.wait_for_selector(".leaflet-container")
    pg.screenshot(path=str(SHOTS / "pair_day_map.png"), full_page=True)


def test_the_coverage_map_draws_vector_tiles_and_switches_to_patrol_counts(page):
    pg, url, block = page
    tiles = []
    pg.on("response", lambda r: tiles.append((r.status, r.url)) if ".pbf" in r.url else None)
    pg.goto(f"{url}/plan/coverage/map/?from=2024-05-14&to=2024-05-14")
    pg.wait_for_function("document.body.dataset.loaded === 'share'", timeout=20000)
    assert tiles and all(status == 200 for status, _ in tiles), tiles
    # The tiles around the block hold its segments (re-fetched: Playwright does not keep the
    # bodies of fetch() responses the page consumed).
    sizes = [len(pg.request.get(u, timeout=10000).body()) for _, u in tiles]
    assert any(size > 0 for size in sizes), sizes
    legend = pg.inner_text("#legend")
    assert "走过比例" in legend and "≥95%" in legend
    assert pg.locator(".leaflet-tile-container canvas, canvas.leaflet-tile").count() >= 1
    pg.screenshot(path=str(SHOTS / "coverage_map.png"))
    pg.select_option("select[name=colour]", "patrols")
    pg.wait_for_function("document.body.dataset.loaded === 'patrols'", timeout=20000)
    assert "巡查次数" in pg.inner_text("#legend")
    pg.select_option("select[name=by]", "pair")
    pg.wait_for_function("document.body.dataset.loaded === 'patrols'", timeout=20000)
    pg.screenshot(path=str(SHOTS / "coverage_map_patrols.png"))


def test_the_coverage_maps_controls_wrap_above_the_figures_on_a_phone(page):
    pg, url, block = page
    pg.set_viewport_size({"width": 390, "height": 844})
    pg.goto(f"{url}/en/plan/coverage/map/?from=2024-05-14&to=2024-05-14")
    pg.wait_for_function("document.body.dataset.loaded === 'share'", timeout=20000)
    controls = pg.locator("#controls").bounding_box()
    heading = pg.locator("#figures h2").bounding_box()
    last = pg.locator("select[name=by]").bounding_box()
    # The controls wrap onto several rows and the figures start below all of them (a fixed
    # one-row height let the last row cover the figures' heading).
    assert controls["height"] > 60, controls
    assert last["y"] + last["height"] <= controls["y"] + controls["height"] <= heading["y"]
    pg.screenshot(path=str(SHOTS / "coverage_map_phone_en.png"))


# A pixel of the coverage layer (its canvas tiles; the base map draws on a canvas of its own), in
# page coordinates, inside the visible map.
DRAWN_PIXEL = """() => {
  const box = document.getElementById("map").getBoundingClientRect();
  for (const c of document.querySelectorAll("canvas.leaflet-tile")) {
    const r = c.getBoundingClientRect();
    const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
    for (let y = 0; y < c.height; y++) for (let x = 0; x < c.width; x++) {
      const X = r.left + (x + 0.5) * r.width / c.width, Y = r.top + (y + 0.5) * r.height / c.height;
      if (px[(y * c.width + x) * 4 + 3] > 200 && X > box.left + 20 && X < box.right - 20
          && Y > box.top + 20 && Y < box.bottom - 20) return [X, Y];
    }
  }
  return null;
}"""


def _js_number(x: float) -> str:
    return str(int(x)) if x == int(x) else repr(x)


def test_a_click_on_a_segment_shows_its_name_length_share_and_patrols(page):
    pg, url, block = page
    errors = []
    pg.on("pageerror", lambda e: errors.append(e))
    pg.goto(f"{url}/plan/coverage/map/?from=2024-05-14&to=2024-05-14")
    pg.wait_for_function("document.body.dataset.loaded === 'share'", timeout=20000)
    spot = pg.evaluate(DRAWN_PIXEL)
    assert spot, "no segment drawn on the map"
    # The coverage layer is drawn over the base map's streets and is what the pointer meets.
    assert pg.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).matches('canvas.leaflet-tile')", spot
    )
    z = "s => +getComputedStyle(document.querySelector(s).closest('.leaflet-pane')).zIndex"
    assert pg.evaluate(z, "canvas.leaflet-tile") > pg.evaluate(z, ".leaflet-basemap-pane > *")
    pg.mouse.click(*spot)
    pg.wait_for_function(
        "(document.querySelector('.leaflet-popup-content') || {}).textContent?.includes(' m')",
        timeout=10000,
    )
    assert not errors, errors
    text = pg.inner_text(".leaflet-popup-content")
    # The popup speaks of one of the block's segments, with that segment's own figures.
    features = json.loads(
        coverage_geojson(block["office"].id, date(2024, 5, 14), date(2024, 5, 14))
    )["features"]
    props = {f["properties"]["name"]: f["properties"] for f in features}
    name = next(n for n in props if n in text)
    p = props[name]
    assert text.split("\n") == [
        f"{name} {_js_number(float(p['length_m']))} m",
        f"走过比例: {math.floor(p['share'] * 100 + 0.5)}%",  # JS Math.round
        f"巡查次数: {p['patrols']}",
        "已认领" if p["claimed"] else "未认领",
    ], text
    pg.screenshot(path=str(SHOTS / "coverage_map_popup.png"))
