"""The leaderboard and a steward's quarter in Debian's chromium (screenshots in tmp_path)."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from credits import ledger
from credits.quarterly import assess_quarter

from . import factories as f
from .known_quarter import sources_for

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def session_cookie(user, live_server) -> dict:
    s = SessionStore()
    s[SESSION_KEY] = str(user.pk)
    s[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    s.save()
    return {"name": settings.SESSION_COOKIE_NAME, "value": s.session_key, "url": live_server.url}


def test_leaderboard_and_steward_quarter_render(live_server, chromium_page, tmp_path):
    so = f.office()
    comm = f.community(so)
    stewards = {n: f.steward(comm, f"管家{n}", username=f"s{n.lower()}") for n in "ABCDE"}
    assess_quarter(so, "2026Q3", sources_for({n: s.pk for n, s in stewards.items()}))
    ledger.correct(stewards["A"], 120, "期初积分")
    ledger.redeem(stewards["A"], f.supermarket(comm), "洗衣液 1 瓶", 30)
    planner = f.staff(so, "planner")
    page = chromium_page
    page.context.add_cookies([session_cookie(planner, live_server)])
    page.goto(f"{live_server.url}/credits/{so.code}/2026Q3/")
    assert page.locator("text=金牌管家").count() == 1
    first_row = page.locator("table.data tbody tr").first
    assert "管家A" in first_row.inner_text() and "93.6" in first_row.inner_text()
    page.screenshot(path=str(tmp_path / "leaderboard.png"), full_page=True)
    # Confirm C's incompetent grade: the replacement task appears.
    page.locator("tr", has_text="管家C").locator("button").click()
    page.wait_for_load_state()
    assert "待完成的补选任务" in page.content()
    page.locator("a", has_text="管家A").click()
    page.wait_for_load_state()
    text = page.inner_text("main")
    assert "90" in text and "优秀" in text and "洗衣液 1 瓶" in text
    page.screenshot(path=str(tmp_path / "steward.png"), full_page=True)
    print(tmp_path)
