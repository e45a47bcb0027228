"""The leaderboard and steward-quarter pages and their access rules."""

from __future__ import annotations

import pytest
from django.test import Client

from credits import ledger
from credits.models import Assessment, ReplacementTask
from credits.quarterly import assess_quarter

from . import factories as f
from .known_quarter import sources_for


@pytest.fixture
def world(db):
    so = f.office()
    comm = f.community(so)
    comm2 = f.community(so, "C2", "清华园社区")
    stewards = {n: f.steward(comm, f"管家{n}", username=f"s{n.lower()}") for n in "ABCDE"}
    f.steward(comm2, "赵老师")
    assess_quarter(so, "2026Q3", sources_for({n: s.pk for n, s in stewards.items()}))
    ledger.correct(stewards["A"], 120, "期初积分")
    return so, stewards, f.staff(so, "planner"), f.staff(so, "sup", role="supervisor")


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_leaderboard_names_the_gold_steward_and_shows_the_formula(world):
    so, _stewards, planner, _sup = world
    html = login(planner).get(f"/credits/{so.code}/2026Q3/").content.decode()
    assert "金牌管家" in html and html.index("管家A") < html.index("金牌管家") < html.index("管家C")
    assert "权重 35" in html and "优秀 ≥ 85 分" in html
    assert "数据不足，不评定" in html and "清华园社区" in html and "确认等级" in html
    assert "export.xlsx" in html


def test_planners_confirm_from_the_page(world):
    so, stewards, planner, sup = world
    c_row = Assessment.objects.get(steward=stewards["C"])
    assert login(sup).post(f"/credits/assessment/{c_row.pk}/confirm/").status_code == 403
    r = login(planner).post(f"/credits/assessment/{c_row.pk}/confirm/")
    assert r.status_code == 302 and ReplacementTask.objects.count() == 1
    html = login(sup).get(f"/credits/{so.code}/2026Q3/").content.decode()
    assert "待完成的补选任务" in html and "确认等级" not in html


def test_steward_sees_their_own_quarter_only(world):
    so, stewards, _planner, _sup = world
    a = stewards["A"]
    c = login(stewards["A"].user)
    html = c.get(f"/credits/steward/{a.pk}/2026Q3/").content.decode()
    assert "93.6" in html and "优秀" in html and "+120" in html and "巡查达标率 95.0%" in html
    assert c.get(f"/credits/steward/{stewards['B'].pk}/2026Q3/").status_code == 404
    assert c.get(f"/credits/{so.code}/2026Q3/").status_code == 404
    assert c.get("/credits/me/").status_code == 302


def test_anonymous_users_are_sent_to_log_in(world):
    so, *_ = world
    assert Client().get(f"/credits/{so.code}/2026Q3/").status_code == 302
