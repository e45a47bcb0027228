"""The supervisor's way through the pages: the rate over a filtered list, the pair-day's ways on,
a pair's own members on their calendar, the coverage figures, the reasons in English."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from stewards.models import Steward

pytestmark = pytest.mark.django_db
DAY = {"from": "2024-05-14", "to": "2024-05-14"}


@pytest.mark.parametrize("verdict", ["", "compliant", "noncompliant"])
def test_the_rate_is_over_every_pair_day_whatever_verdict_is_listed(client, world, verdict):
    html = client.get("/patrols/compliance/", {**DAY, "verdict": verdict}).content.decode()
    assert "共 2 组日，达标 1 组日" in html and "达标率 50.0%" in html
    if verdict:
        assert "列出其中 1 组日" in html


def test_the_pair_day_links_to_the_days_around_it_and_back(client, world):
    pair = world["pair"]
    html = client.get(f"/patrols/pairs/{pair.id}/days/2024-05-14/").content.decode()
    assert f"/patrols/pairs/{pair.id}/days/2024-05-13/" in html
    assert f"/patrols/pairs/{pair.id}/days/2024-05-15/" in html
    assert (
        f"/patrols/pairs/{pair.id}/calendar/?office={world['office'].code}&amp;month=2024-05"
        in html
    )
    assert f"pair={pair.id}&amp;from=2024-05-08&amp;to=2024-05-14" in html  # the compliance list


def test_a_member_opens_the_pairs_calendar_but_not_another_pairs(client, world):
    user = User.objects.create_user("steward-a", password="pw-123456")
    steward = Steward.objects.get(id=world["pair"].members.first().steward_id)
    steward.user = user
    steward.save(update_fields=["user"])
    client.force_login(user)
    mine = client.get(f"/patrols/pairs/{world['pair'].id}/calendar/?month=2024-05")
    assert mine.status_code == 200 and 'data-day="2024-05-14"' in mine.content.decode()
    assert "to-compliance" not in mine.content.decode()  # the list is for supervisors
    assert client.get(f"/patrols/pairs/{world['other'].id}/calendar/").status_code == 403
    day = client.get(f"/patrols/pairs/{world['pair'].id}/days/2024-05-14/").content.decode()
    assert "back-calendar" in day and "back-compliance" not in day


def test_the_coverage_map_shows_its_figures(client, world):
    r = client.get("/plan/coverage/map/", DAY)
    assert r.status_code == 200 and 'id="figures"' in r.content.decode()
    f = client.get("/plan/coverage/map/", {**DAY, "format": "json"}).json()
    # The pair claims four alleys of the block and walked them all; the other pair's N street
    # was hardly walked: 2 of 3 claimed lengths in the roll-up's terms.
    assert f["segments_claimed"] == 5 and f["segments_walked"] >= 4
    assert f["share_pct"] == pytest.approx(100 * f["walked_km"] / f["claimed_km"], abs=0.2)


def test_reasons_read_in_english_on_the_english_pages(client, world):
    html = client.get("/en/patrols/compliance/", DAY).content.decode()
    assert "Only 1 pair members uploaded tracks that day" in html
    assert "当天只有" not in html
