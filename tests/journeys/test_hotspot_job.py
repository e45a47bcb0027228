"""A supervisor asks for hotspots on 25 m hexagons: too much work for a web request on the demo
office, so the map page shows the hotspot job (queued/running) and, when the server's worker has
computed it, draws the answer (the page reloads; the answer is then cached)."""

from __future__ import annotations

import pytest

from .sign_in import sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_supervisor_hotspot_map_waits_on_the_job_then_draws_it(journey, lang):
    j = journey("hotspot-job", lang)
    sign_in(j, "supervisor", "/hazards/cases/")
    page = j.page
    # Alpha makes the question new in each language's run (answers are cached per language too).
    url = j.url(f"/hazards/map/?cell_m=25&alpha={'0.05' if lang == 'zh' else '0.06'}")
    response = page.goto(url, wait_until="domcontentloaded")
    assert 'data-testid="hotspot-job"' in response.text(), "the run should have been a job"
    page.locator("[data-testid=hotspot-job] [data-job-state]").wait_for()
    j.check_language()
    j.shot("hotspot job waiting")
    page.locator("#hotspot-stats").wait_for(timeout=180_000)
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-testid=hotspot-job]").count() == 0
    assert page.locator(".leaflet-hotspots-pane canvas").count() > 0  # the cells (canvas renderer)
    j.check_language()
    j.shot("hotspot drawn")
    j.check()
