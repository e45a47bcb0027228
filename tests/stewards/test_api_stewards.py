"""The steward registry API: sign-up, lifecycle, pairs, sheet import."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.grids import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx():
    so = f.office()
    comm = f.community(so, name="荷清苑社区")
    client = APIClient()
    client.force_authenticate(f.user(so))
    return so, comm, client


def test_a_planner_registers_a_steward_and_walks_the_lifecycle(ctx):
    _, comm, c = ctx
    number = f.id_number(21)
    r = c.post("/api/patrols/stewards/", {"community": comm.pk, "name": "王淑珍", "phone": "13800000001",
                                          "id_card": number, "gender": "F", "employment": "retired"}, format="json")  # fmt: skip
    assert r.status_code == 201, r.content
    assert "id_card" not in r.json() and number not in r.content.decode()
    sid = r.json()["id"]
    for to in ("reviewed", "appointed", "active"):
        r = c.post(f"/api/patrols/stewards/{sid}/transition/", {"to_status": to}, format="json")
        assert r.status_code == 200, r.content
    assert r.json()["status"] == "active" and len(r.json()["status_changes"]) == 4
    r = c.post(
        f"/api/patrols/stewards/{sid}/transition/", {"to_status": "appointed"}, format="json"
    )
    assert r.status_code == 400 and "不能从" in r.json()["detail"][0]


def test_a_bad_id_number_gets_a_specific_message(ctx):
    _, comm, c = ctx
    bad = f.id_number(22)[:-1] + "Y"
    r = c.post(
        "/api/patrols/stewards/",
        {"community": comm.pk, "name": "甲", "phone": "1", "id_card": bad},
        format="json",
    )
    assert r.status_code == 400
    assert "18位" in r.json()["id_card"][0]
    assert bad not in r.content.decode()


def test_pairs_are_formed_and_dissolved_through_the_api(ctx):
    _, comm, c = ctx
    a, b = f.steward(comm), f.steward(comm)
    r = c.post("/api/patrols/pairs/", {"name": "一组", "stewards": [a.pk, b.pk]}, format="json")
    assert r.status_code == 201, r.content
    assert {m["steward"] for m in r.json()["members"]} == {a.pk, b.pk}
    r2 = c.post(
        "/api/patrols/pairs/",
        {"name": "二组", "stewards": [a.pk, f.steward(comm).pk]},
        format="json",
    )
    assert r2.status_code == 400 and "已在其他组" in r2.json()["detail"][0]
    r3 = c.post(f"/api/patrols/pairs/{r.json()['id']}/dissolve/")
    assert r3.status_code == 200 and r3.json()["dissolved_on"]


def test_phone_display_is_a_planner_setting(ctx):
    so, _, c = ctx
    r = c.patch(f"/api/patrols/settings/{so.pk}/", {"phone_display": "masked"}, format="json")
    assert r.status_code == 200 and r.json()["phone_display"] == "masked"
