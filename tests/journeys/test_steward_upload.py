"""The steward's journey on a phone: upload a GPX from the phone → see the track on a map and
what cleaning did → open the day's pair map → back to the pair's own calendar (no 403)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from demo import simulate

from .sign_in import sign_in

pytestmark = pytest.mark.browser

# Half an hour round a block near the demo district's streets, yesterday (local time), early
# enough not to overlap the demo's own patrols; a different hour per language, so that the
# second upload is a new file and not a duplicate.
BLOCK = np.array([[0, 0], [300, 0], [300, 200], [0, 200], [0, 0]], dtype=float)
ORIGIN = (116.3330, 39.9930)


def _gpx(path, hour: int) -> None:
    rng = np.random.default_rng(hour)
    dist = simulate._walk_distance(1800, 1.2, rng)
    pos = simulate._position_along(BLOCK, dist)
    tz = ZoneInfo("Asia/Shanghai")
    day = datetime.now(tz).date() - timedelta(days=1)
    t0 = datetime(day.year, day.month, day.day, hour, 0, tzinfo=tz).timestamp()
    error = simulate._gps_noise(pos.shape[0], rng, 3.0, jitter_m=0.0)
    track = simulate._sample(t0, pos, rng, ORIGIN, dropouts=False, shared_error=error)
    path.write_bytes(simulate.gpx_bytes(track, name="patrol"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_steward_uploads_sees_the_track_and_reaches_the_pairs_day_and_calendar(
    journey, lang, tmp_path
):
    j = journey("steward-upload", lang=lang, phone=True)
    page = j.page
    gpx = tmp_path / "patrol.gpx"
    _gpx(gpx, 6 if lang == "zh" else 7)

    sign_in(j, "steward1", "/tracks/upload/")
    assert page.locator("#file").is_visible()
    assert not page.locator("#columns").is_visible()  # only for CSV files
    j.shot("upload-form")
    page.set_input_files("#file", str(gpx))
    assert not page.locator("#columns").is_visible()
    page.locator("form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    j.check_language()
    page.wait_for_selector("#preview[data-ready='1']")
    assert page.locator("#preview path").count() >= 1
    assert page.locator("[data-testid=cleaning] li").count() >= 1
    j.shot("uploaded-with-preview")

    page.locator("a.day-map").first.click()
    page.wait_for_load_state("networkidle")
    j.check_language()
    assert "/days/" in page.url
    assert page.locator("[data-testid=pair-day]").is_visible()
    assert page.locator("#prev-day").is_visible()
    j.shot("pair-day")

    page.click("#back-calendar")
    page.wait_for_load_state("networkidle")
    j.check_language()
    assert "/calendar/" in page.url and page.locator("#calendar").is_visible()
    j.shot("own-calendar")
    j.check()
