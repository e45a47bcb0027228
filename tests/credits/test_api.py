"""The /api/credits/ endpoints: who sees what, redemptions, confirmation, rules, export."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook
from rest_framework.test import APIClient

from credits import ledger
from credits.models import Assessment, CreditSettings, ReplacementTask
from credits.quarterly import assess_quarter

from . import factories as f
from .known_quarter import sources_for


@pytest.fixture
def world(db):
    so = f.office()
    comm = f.community(so)
    stewards = {n: f.steward(comm, f"管家{n}", username=f"s{n.lower()}") for n in "ABCDE"}
    ids = {n: s.pk for n, s in stewards.items()}
    assess_quarter(so, "2026Q3", sources_for(ids))
    ledger.correct(stewards["A"], 100, "期初积分")
    other = f.office("HDL")
    return {
        "so": so,
        "comm": comm,
        "stewards": stewards,
        "planner": f.staff(so, "planner"),
        "supervisor": f.staff(so, "supervisor", role="supervisor"),
        "clerk": f.staff(so, "clerk", role="grid_worker"),
        "foreign": f.staff(other, "foreign"),
        "shop": f.supermarket(comm),
    }


def client(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_a_steward_sees_only_their_own_points(world):
    a, b = world["stewards"]["A"], world["stewards"]["B"]
    c = client(a.user)
    me = c.get("/api/credits/me/").json()
    assert me["balance"] == 100 and me["history"][0]["kind"] == "correction"
    assert c.get(f"/api/credits/stewards/{a.pk}/").status_code == 200
    assert c.get(f"/api/credits/stewards/{b.pk}/").status_code == 404
    assert c.get(f"/api/credits/board/?office={world['so'].code}&quarter=2026Q3").status_code == 404
    mine = c.get("/api/credits/assessments/").json()["results"]
    assert [r["steward"] for r in mine] == [a.pk]


def test_planners_see_the_board_with_the_gold_steward_and_other_offices_do_not(world):
    code = world["so"].code
    body = (
        client(world["supervisor"]).get(f"/api/credits/board/?office={code}&quarter=2026Q3").json()
    )
    (community,) = body["communities"]
    assert community["gold"] == ["管家A"]
    assert community["rows"][0]["score"] == "93.6" and community["rows"][0]["balance"] == 100
    assert (
        client(world["foreign"])
        .get(f"/api/credits/board/?office={code}&quarter=2026Q3")
        .status_code
        == 404
    )
    bad = client(world["planner"]).get(f"/api/credits/board/?office={code}&quarter=3Q")
    assert bad.status_code == 400 and "2026Q3" in str(bad.json()["quarter"])


def test_redemption_via_api_and_an_overdraw_answers_409_with_the_balance(world):
    a = world["stewards"]["A"]
    c = client(world["clerk"])
    ok = c.post(
        "/api/credits/redemptions/",
        {"steward": a.pk, "supermarket": world["shop"].pk, "items": "大米 5 斤", "points": 60},
        format="json",
    )
    assert ok.status_code == 201 and ok.json()["balance"] == 40
    no = c.post(
        "/api/credits/redemptions/",
        {"steward": a.pk, "supermarket": world["shop"].pk, "items": "电饭煲", "points": 60},
        format="json",
    )
    assert no.status_code == 409
    assert no.json()["balance"] == 40 and "不足以兑换 60 积分" in no.json()["detail"]
    # A steward cannot redeem on their own behalf (the supermarket records it).
    own = client(a.user).post(
        "/api/credits/redemptions/",
        {"steward": a.pk, "supermarket": world["shop"].pk, "items": "x", "points": 1},
        format="json",
    )
    assert own.status_code == 404


def test_only_planners_confirm_and_incompetent_opens_a_replacement_task(world):
    c_row = Assessment.objects.get(steward=world["stewards"]["C"])
    url = f"/api/credits/assessments/{c_row.pk}/confirm/"
    assert client(world["supervisor"]).post(url).status_code == 403
    assert client(world["foreign"]).post(url).status_code == 404
    r = client(world["planner"]).post(url)
    assert r.status_code == 200 and r.json()["replacement_task"]["due"]
    assert client(world["planner"]).post(url).status_code == 409
    assert ReplacementTask.objects.filter(steward=world["stewards"]["C"]).count() == 1
    tasks = client(world["supervisor"]).get(
        f"/api/credits/replacement-tasks/?office={world['so'].code}"
    )
    assert [(t["steward"], t["overdue"]) for t in tasks.json()] == [("管家C", False)]
    task_id = tasks.json()[0]["id"]
    close = f"/api/credits/replacement-tasks/{task_id}/close/"
    assert client(world["supervisor"]).post(close).status_code == 403
    done = client(world["planner"]).post(close, {"note": "已补选王阿姨"}, format="json")
    assert done.status_code == 200 and done.json()["note"] == "已补选王阿姨"
    assert client(world["planner"]).post(close).status_code == 409
    d_row = Assessment.objects.get(steward=world["stewards"]["D"])
    r = client(world["planner"]).post(f"/api/credits/assessments/{d_row.pk}/confirm/")
    assert r.status_code == 400 and "数据不足" in str(r.json())


def test_rules_show_defaults_and_planners_change_them_with_validation(world):
    code = world["so"].code
    url = f"/api/credits/rules/?office={code}"
    shown = client(world["supervisor"]).get(url).json()
    assert shown["assessment_params"]["weight_satisfaction"] == 35
    assert shown["points_rules"]["per_compliant_day"] == 10
    assert client(world["supervisor"]).put(url, {}, format="json").status_code == 403
    bad = client(world["planner"]).put(
        url, {"assessment_params": {"weight_star": 1}}, format="json"
    )
    assert bad.status_code == 400 and "未知的考核参数" in str(bad.json())
    ok = client(world["planner"]).put(
        url,
        {"points_rules": {"per_compliant_day": 12}, "assessment_params": {"excellent_min": 90}},
        format="json",
    )
    assert ok.status_code == 200 and ok.json()["assessment_params"]["excellent_min"] == 90
    assert CreditSettings.objects.get(street_office=world["so"]).points_rules == {
        "per_compliant_day": 12
    }


def test_assessments_list_shows_the_formula(world):
    body = (
        client(world["planner"])
        .get(f"/api/credits/assessments/?office={world['so'].code}&quarter=2026Q3")
        .json()
    )
    assert (
        body["formula"]["version"].startswith("v1-") and body["formula"]["weight_compliance"] == 30
    )
    grades = {r["steward_name"]: r["grade_label"] for r in body["results"]}
    assert grades == {
        "管家A": "优秀",
        "管家B": "称职",
        "管家C": "不称职",
        "管家D": "数据不足，不评定",
        "管家E": "不称职",
    }


def test_excel_export_has_one_row_per_steward_with_grades_and_the_formula(world):
    r = client(world["planner"]).get(
        f"/api/credits/export.xlsx?office={world['so'].code}&quarter=2026Q3"
    )
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    wb = load_workbook(BytesIO(r.content))
    ws = wb["2026Q3 考核"]
    rows = list(ws.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert header[:6] == ("社区", "姓名", "排名", "金牌管家", "得分", "等级")
    assert [(x[1], x[3], x[4], x[5]) for x in body] == [
        ("管家A", "是", 93.6, "优秀"),
        ("管家C", None, 81.0, "不称职"),
        ("管家B", None, 62.4, "称职"),
        ("管家E", None, 50.0, "不称职"),
        ("管家D", None, None, "数据不足，不评定"),
    ]
    params = dict(wb["公式与权重"].iter_rows(min_row=2, values_only=True))
    assert params["weight_satisfaction"] == 35
    assert (
        client(world["stewards"]["A"].user)
        .get(f"/api/credits/export.xlsx?office={world['so'].code}&quarter=2026Q3")
        .status_code
        == 404
    )


def test_planners_add_supermarkets_in_their_own_communities(world):
    code, comm = world["so"].code, world["comm"]
    url = f"/api/credits/supermarkets/?office={code}"
    body = {"community": comm.pk, "name": "邻里积分超市", "address": "五道口 2 号"}
    assert client(world["clerk"]).post(url, body, format="json").status_code == 403
    r = client(world["planner"]).post(url, body, format="json")
    assert r.status_code == 201 and r.json()["name"] == "邻里积分超市"
    dup = client(world["planner"]).post(url, body, format="json")
    assert dup.status_code == 400 and "同名" in str(dup.json())
    names = [x["name"] for x in client(world["clerk"]).get(url).json()]
    assert names == ["红色积分超市", "邻里积分超市"]
    foreign_comm = f.community(f.office("XYZ"), "X1", "别的社区")
    r = client(world["planner"]).post(url, {**body, "community": foreign_comm.pk}, format="json")
    assert r.status_code == 400 and "不属于" in str(r.json())
