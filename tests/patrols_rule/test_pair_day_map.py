"""The pair-day map: claims, coverage and verdict for supervising staff and members; raw tracks
only for their owner and the office's supervisors."""

from __future__ import annotations

import io
import os

import pytest
from django.test import Client

from demo.simulate import gpx_bytes, simulate_pair_day
from geo.models import Membership
from patrols.evaluation import evaluate_pair_day
from patrols.tracks.ingest import ingest_file
from tests.patrols_rule.test_upload_rechecks_the_rule import DAY, LINES
from tests.patrols_tracks import factories as f

HIDDEN = "轨迹仅本人和督查员可见"


def _scene() -> dict:
    office = f.office()
    a, b = f.steward(office, name="甲"), f.steward(office, name="乙")
    pair = f.pair(a, b)
    lines = [seg.geom for seg in f.claimed_alleys(pair, LINES)]
    tracks = simulate_pair_day(lines, DAY, scenario="normal", seed=7)
    for steward, key in ((a, "a"), (b, "b")):
        ingest_file(io.BytesIO(gpx_bytes(tracks[key])), filename=f"{key}.gpx", steward=steward)
    evaluate_pair_day(pair, DAY)
    people = {"a": a.user, "b": b.user}
    for role in ("supervisor", "planner"):
        people[role] = f.user()
        Membership.objects.create(user=people[role], street_office=office, role=role)
    elsewhere = f.office(name="别的街道")
    people["other_supervisor"] = f.user()
    Membership.objects.create(
        user=people["other_supervisor"], street_office=elsewhere, role="supervisor"
    )
    people["stranger"] = f.steward(office).user
    return {"office": office, "pair": pair, "people": people}


def _get(user, pair, day: str = DAY.isoformat()):
    c = Client()
    c.force_login(user)
    return c.get(f"/patrols/pairs/{pair.pk}/days/{day}/")


@pytest.mark.django_db
def test_who_sees_what_on_the_pair_day_map() -> None:
    s = _scene()
    pair, who = s["pair"], s["people"]

    boss = _get(who["supervisor"], pair)
    html = boss.content.decode()
    assert boss.status_code == 200 and "达标" in html and "本组当天认领 6 条街巷" in html
    assert html.count("L.polyline(") >= 2 and HIDDEN not in html
    assert "甲" in html and "乙" in html and "个点" in html

    own = _get(who["a"], pair).content.decode()
    assert own.count(HIDDEN) == 1 and own.count("L.polyline(") >= 1  # a's own, not b's

    planner = _get(who["planner"], pair).content.decode()
    assert planner.count(HIDDEN) == 2 and "L.polyline(" not in planner
    assert "本组当天认领 6 条街巷" in planner  # claims and coverage are not raw positions

    assert _get(who["other_supervisor"], pair).status_code == 403
    assert _get(who["stranger"], pair).status_code == 403
    assert _get(who["supervisor"], pair, "2024-13-01").status_code == 404


@pytest.mark.django_db
def test_compliance_table_and_calendar_link_to_the_map() -> None:
    s = _scene()
    c = Client()
    c.force_login(s["people"]["supervisor"])
    link = f"/patrols/pairs/{s['pair'].pk}/days/{DAY.isoformat()}/"
    q = f"office={s['office'].code}&from={DAY.isoformat()}&to={DAY.isoformat()}"
    assert link in c.get(f"/patrols/compliance/?{q}").content.decode()
    cal = c.get(
        f"/patrols/pairs/{s['pair'].pk}/calendar/?office={s['office'].code}&month={DAY:%Y-%m}"
    )
    assert link in cal.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_map_draws_both_tracks_for_a_supervisor_in_a_browser(
    live_server, chromium_page
) -> None:
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    s = _scene()
    page = chromium_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    def lines_drawn(user) -> int:
        c = Client()
        c.force_login(user)
        page.context.clear_cookies()
        page.context.add_cookies(
            [{"name": "sessionid", "value": c.cookies["sessionid"].value, "url": live_server.url}]
        )
        page.goto(f"{live_server.url}/patrols/pairs/{s['pair'].pk}/days/{DAY.isoformat()}/")
        page.wait_for_function("() => window.L && document.querySelector('.leaflet-container')")
        return page.evaluate(
            """() => {
                const map = Object.values(window).find(v => v instanceof L.Map);
                let n = 0;
                map.eachLayer(l => { if (l instanceof L.Polyline && !l.feature) n++; });
                return n;
            }"""
        )

    assert lines_drawn(s["people"]["supervisor"]) >= 2
    assert lines_drawn(s["people"]["planner"]) == 0
    assert not errors
