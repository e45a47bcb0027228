"""The supervisor's journey: the compliance list (filtered, its rate still right) → a pair's
calendar → a pair-day with the days before and after and the way back → the coverage map with
its figures."""

from __future__ import annotations

import re

import pytest

from .sign_in import sign_in

pytestmark = pytest.mark.browser


def _rate(page) -> float:
    m = re.search(r"([\d.]+)%", page.text_content("#summary"))
    assert m, page.text_content("#summary")
    return float(m.group(1))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_supervisor_walks_from_compliance_to_a_pair_day_and_the_coverage_map(journey, lang):
    j = journey("supervisor-compliance", lang=lang)
    page = j.page
    sign_in(j, "supervisor", "/patrols/compliance/")
    rate = _rate(page)
    assert 0 < rate <= 100
    j.shot("compliance")
    page.select_option("select[name=verdict]", "noncompliant")
    page.locator("#filters button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    j.check_language()
    assert _rate(page) == rate  # the list is filtered, the rate is not
    j.shot("compliance-noncompliant")

    page.locator("#compliance tbody tr td:nth-child(3) a").first.click()
    page.wait_for_load_state("networkidle")
    j.check_language()
    assert "/calendar/" in page.url
    j.shot("pair-calendar")
    page.locator("#calendar td.ok a, #calendar td.bad a").first.click()
    page.wait_for_load_state("networkidle")
    j.check_language()
    day = page.url
    assert page.locator("#prev-day").is_visible()
    j.shot("pair-day")
    page.click("#prev-day")
    page.wait_for_load_state("networkidle")
    page.click("#next-day")
    page.wait_for_load_state("networkidle")
    assert page.url == day
    page.click("#back-compliance")
    page.wait_for_load_state("networkidle")
    j.check_language()
    assert "/compliance/" in page.url

    j.goto("/plan/coverage/map/")
    page.wait_for_selector("body[data-loaded='share']", timeout=30_000)
    assert page.locator("#figures").is_visible()
    assert int(page.text_content("#fig-claimed")) > 0
    assert float(page.text_content("#fig-share").rstrip("%")) > 0
    j.shot("coverage-map")
    j.check()
