"""Two phones record a patrol in a real browser (Debian chromium via Playwright).

What is real: the page, its service worker, IndexedDB, the batch API, compaction, the rule, and
`navigator.geolocation.watchPosition` fed by Playwright's geolocation emulation
(`context.set_geolocation`), walking real demo streets (the Wudaokou OSM extract) that the pair
claims. What is emulated: time. A two-and-a-half-hour patrol would take two and a half hours, so
the page runs with `?clock=manual` (a test-only clock: each fix is stamped with the time the
test sets through `window.alleyRecorder.setClock` just before it moves the position) and one
position every 45 s of patrol time; GPS noise comes from demo.simulate. Batches go every second
(`?interval=1`) instead of every 20 s. The network cut is `context.set_offline(True)`.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import Point
from django.test import Client

from demo.district import load_demo_district
from demo.simulate import simulate_pair_day
from geo.local_days import local_today
from geo.models import Membership, Segment
from grids.models import Claim
from patrols.models import PairDayVerdict, Track
from recorder.models import Recording, RecordingBatch
from stewards.models import Pair, PairMember, Steward
from tests.conftest import CHROMIUM, CHROMIUM_ARGS

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
STEP_S = 45.0
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def _pair_on_demo_streets(day: date) -> dict:
    office = load_demo_district()
    # A compact claim: the streets within 120 m of a point in the middle of the extract.
    centre = Segment.objects.filter(street_office=office).order_by("id")[400].geom.centroid
    segs = list(
        Segment.objects.filter(
            street_office=office, geom__dwithin=(Point(centre.x, centre.y, srid=4326), 0.0012)
        )
    )
    community = segs[0].community
    pair = Pair.objects.create(
        street_office=office, community=community, name="测试组", formed_on=day - timedelta(days=30)
    )
    users = []
    for i in range(2):
        user = User.objects.create_user(f"walker{i}", password="pw-123456")
        Membership.objects.create(user=user, street_office=office, role=Membership.Role.STEWARD)
        steward = Steward.objects.create(
            street_office=office,
            community=community,
            name=f"巡查员{i + 1}",
            user=user,
            status=Steward.Status.ACTIVE,
        )
        PairMember.objects.create(pair=pair, steward=steward, joined_on=day - timedelta(days=30))
        users.append(user)
    for s in segs:
        Claim.objects.create(
            street_office=office, pair=pair, segment=s, valid_from=day - timedelta(days=30)
        )
    tracks = simulate_pair_day([s.geom for s in segs], day, scenario="normal", seed=11)
    t0, t1 = tracks["a"][0][0], min(tracks["a"][0][-1], tracks["b"][0][-1])
    grid = np.arange(np.ceil(t0), t1, STEP_S)
    steps = {
        k: (grid, *(np.interp(grid, tr[0], tr[i]) for i in (1, 2))) for k, tr in tracks.items()
    }
    return {"pair": pair, "users": users, "steps": steps}


@pytest.fixture
def phones(live_server):
    from playwright.sync_api import sync_playwright

    day = local_today() - timedelta(days=1)
    walk = _pair_on_demo_streets(day)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        pages = []
        for user in walk["users"]:
            client = Client()
            client.force_login(user)
            ctx = browser.new_context(
                viewport={"width": 390, "height": 844},
                locale="zh-CN",
                permissions=["geolocation"],
                geolocation={"latitude": 40.0, "longitude": 116.33},
            )
            ctx.add_cookies(
                [
                    {
                        "name": "sessionid",
                        "value": client.cookies["sessionid"].value,
                        "url": live_server.url,
                    }
                ]
            )
            page = ctx.new_page()
            page.goto(f"{live_server.url}/patrol/?clock=manual&interval=1")
            page.evaluate("window.alleyRecorder.ready")
            pages.append((ctx, page))
        yield walk, pages, live_server.url, day
        browser.close()


def _step(ctx, page, t: float, lon: float, lat: float) -> None:
    before = page.evaluate("window.alleyRecorder.state().fixes")
    page.evaluate(f"window.alleyRecorder.setClock({t})")
    ctx.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 8})
    page.wait_for_function(f"window.alleyRecorder.state().fixes > {before}", timeout=5000)


def _wait_sent(page) -> None:
    page.wait_for_function(
        "(() => { const s = window.alleyRecorder.state(); return s.pending === 0 && !s.busy; })()",
        timeout=20000,
    )


def test_two_phones_record_with_a_network_cut_and_a_reload_and_the_day_complies(phones):
    walk, ((ctx_a, page_a), (ctx_b, page_b)), url, day = phones
    steps_a, steps_b = walk["steps"]["a"], walk["steps"]["b"]
    for page, steps in ((page_a, steps_a), (page_b, steps_b)):
        page.evaluate(f"window.alleyRecorder.setClock({steps[0][0] - 5})")
        page.click("[data-testid=start]")
    n = len(steps_a[0])
    cut, back, reload_at, rekey = n // 3, n // 3 + 25, n // 2, n // 5
    rid_b = None
    # Batches go with the recording's upload key, not the session (recorder/upload_keys.py).
    auth = {"key": 0, "other": 0}

    def count(request) -> None:
        if "/batches/" in request.url:
            keyed = request.headers.get("authorization", "").startswith("Recording ")
            auth["key" if keyed else "other"] += 1

    page_a.on("request", count)
    for i in range(n):
        if i == rekey:  # the key ends (as on logout): the phone opens again and gets a new one
            _wait_sent(page_a)
            rid_a = page_a.evaluate("window.alleyRecorder.state().recording")
            Recording.objects.filter(pk=rid_a).update(upload_key_hash="")
        if i == cut:
            ctx_a.set_offline(True)
        if i == back:
            assert page_a.evaluate("window.alleyRecorder.state().pending") > 0  # queued offline
            ctx_a.set_offline(False)
        if i == reload_at:
            _wait_sent(page_b)
            rid_b = page_b.evaluate("window.alleyRecorder.state().recording")
            page_b.reload()
            page_b.evaluate("window.alleyRecorder.ready")
            assert page_b.evaluate("window.alleyRecorder.state().recording") == rid_b
            assert page_b.evaluate("window.alleyRecorder.state().keyed")  # kept in IndexedDB
        _step(ctx_a, page_a, *(float(c[i]) for c in steps_a))
        _step(ctx_b, page_b, *(float(c[i]) for c in steps_b))
    assert "米" in page_a.inner_text("[data-testid=partner]") or page_a.inner_text(
        "[data-testid=partner]"
    )
    taken = [page.evaluate("window.alleyRecorder.state().fixes") for page in (page_a, page_b)]
    for page in (page_a, page_b):
        _wait_sent(page)
        page.click("[data-testid=stop]")  # the first tap only asks for a second one
        assert page.inner_text("[data-testid=state]") != ""
        page.click("[data-testid=stop]")
        page.wait_for_function("window.alleyRecorder.state().recording === null", timeout=30000)

    # Every fix the phones took arrived exactly once, the offline ones included.
    # (watchPosition also reports where the phone was when "开始巡查" was pressed: +1 fix.)
    for user, steps, n_taken in zip(walk["users"], (steps_a, steps_b), taken, strict=True):
        rec = Recording.objects.get(steward__user=user)
        sent = sum(len(b.t) for b in RecordingBatch.objects.filter(recording=rec))
        assert sent == n_taken and n_taken >= len(steps[0]), (sent, n_taken, len(steps[0]))
        times = np.concatenate(
            [np.asarray(t.times) for t in Track.objects.filter(steward__user=user)]
        )
        assert np.unique(times).size == times.size and times.size >= len(steps[0]) - 3
    assert str(Recording.objects.get(steward__user=walk["users"][1]).pk) == rid_b
    # Every batch went with the key (how many there are follows the wall clock: the phone sends
    # every `interval` seconds of real time, so only a floor is asserted: before and after the
    # re-key and after the network came back).
    assert auth["other"] == 0 and auth["key"] >= 3, auth
    assert not Recording.objects.exclude(upload_key_hash="").exists()  # finished: keys ended
    verdict = PairDayVerdict.objects.get(pair=walk["pair"], day=day)
    assert verdict.compliant, verdict.reasons
    assert "今天已达标" in page_b.inner_text("#msg")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page_b.screenshot(path=str(SHOTS / "patrol-recorder.png"), full_page=True)


def test_the_app_shell_opens_offline(phones):
    _walk, ((ctx, page), _), url, _day = phones
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now controlled by the worker, which has cached the shell
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    ctx.set_offline(True)
    page.goto(f"{url}/patrol/")
    assert page.locator("[data-testid=start]").is_visible()
    assert page.evaluate("typeof L") == "object"  # Leaflet from the cache too
    manifest = page.evaluate("document.querySelector('link[rel=manifest]').href")
    assert manifest.endswith("/patrol/manifest.webmanifest")
