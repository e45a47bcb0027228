"""Another street office's planner gets 404/403 on every endpoint and page, and sees nothing in lists."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from geo.models import Membership
from grids import assignment
from grids.models import Claim
from stewards.models import Pair, Steward
from tests.grids import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    a, b = f.office("A"), f.office("B", x0=116.40)
    comm_a = f.community(a)
    segs = f.lattice(comm_a, 3, 2)
    p1 = f.pair(comm_a)
    spare = [f.steward(comm_a), f.steward(comm_a)]
    change = assignment.assign(p1, [segs[0].pk])
    intruder_user = f.user(b)
    intruder = APIClient()
    intruder.force_authenticate(intruder_user)
    return {
        "user": intruder_user,
        "a": a,
        "comm": comm_a,
        "segs": segs,
        "pair": p1,
        "spare": spare,
        "change": change,
        "client": intruder,
    }


def test_every_endpoint_refuses_another_offices_planner(world):
    c, a, comm, pair, segs = (
        world["client"],
        world["a"],
        world["comm"],
        world["pair"],
        world["segs"],
    )
    steward = world["spare"][0]
    calls = [
        ("get", f"/api/patrols/stewards/{steward.pk}/", None),
        ("patch", f"/api/patrols/stewards/{steward.pk}/", {"phone": "13900000000"}),
        ("post", f"/api/patrols/stewards/{steward.pk}/transition/", {"to_status": "resigned"}),
        (
            "post",
            "/api/patrols/stewards/",
            {"community": comm.pk, "name": "甲", "phone": "1", "id_card": f.id_number()},
        ),
        ("get", f"/api/patrols/pairs/{pair.pk}/", None),
        ("patch", f"/api/patrols/pairs/{pair.pk}/", {"name": "x"}),
        ("post", f"/api/patrols/pairs/{pair.pk}/dissolve/", None),
        ("post", "/api/patrols/pairs/", {"name": "x", "stewards": [s.pk for s in world["spare"]]}),
        ("get", f"/api/patrols/settings/{a.pk}/", None),
        ("patch", f"/api/patrols/settings/{a.pk}/", {"phone_display": "masked"}),
        ("get", f"/api/grids/communities/{comm.pk}/", None),
        ("post", f"/api/grids/communities/{comm.pk}/suggest/", {"apply": True}),
        ("get", f"/api/grids/segments/{segs[0].pk}/", None),
        ("get", f"/api/grids/claims/{Claim.objects.first().pk}/", None),
        ("get", f"/api/grids/changes/{world['change'].pk}/", None),
        ("post", f"/api/grids/changes/{world['change'].pk}/undo/", None),
        ("post", "/api/grids/assign/", {"pair": pair.pk, "segments": [segs[1].pk]}),
        ("post", "/api/grids/unassign/", {"street_office": a.pk, "segments": [segs[0].pk]}),
        ("get", f"/api/grids/coverage/{a.pk}/", None),
        ("post", "/api/patrols/stewards/import/", {"street_office": a.pk, "file": _csv()}),
    ]
    for method, url, body in calls:
        kwargs = {"format": "multipart"} if url.endswith("import/") else {"format": "json"}
        response = getattr(c, method)(url, body, **kwargs)
        assert response.status_code in (403, 404), (
            method,
            url,
            response.status_code,
            response.content,
        )
    # Nothing changed.
    steward.refresh_from_db()
    assert steward.status == Steward.Status.ACTIVE and steward.phone == "13812345678"
    assert Pair.objects.get(pk=pair.pk).dissolved_on is None
    assert Claim.objects.count() == 1 and Steward.objects.count() == 4


def _csv():
    import io

    buf = io.BytesIO("姓名,身份证号码,社区,联系电话\n甲,11010519491231002X,x,1\n".encode())
    buf.name = "s.csv"
    return buf


def test_lists_show_nothing_of_another_office(world):
    c = world["client"]
    for url in ("/api/patrols/stewards/", "/api/patrols/pairs/", "/api/grids/communities/", "/api/grids/claims/",
                "/api/grids/changes/", "/api/patrols/settings/"):  # fmt: skip
        body = c.get(url).json()
        assert body["count"] == 0, (url, body)
    fc = c.get(f"/api/grids/segments/?community={world['comm'].pk}").json()
    assert fc["features"] == []


def test_pages_of_another_office_are_not_found(world, client):
    c = client
    c.force_login(world["user"])
    assert c.get(f"/plan/assign/{world['comm'].pk}/").status_code == 404
    assert c.get(f"/plan/coverage/{world['a'].pk}/").status_code == 404
    assert c.get(f"/plan/stewards/{world['a'].pk}/").status_code == 404


def test_supervisor_of_the_same_office_reads_but_cannot_write(world):
    sup = APIClient()
    sup.force_authenticate(f.user(world["a"], Membership.Role.SUPERVISOR))
    assert sup.get(f"/api/patrols/pairs/{world['pair'].pk}/").status_code == 200
    r = sup.post(
        "/api/grids/assign/",
        {"pair": world["pair"].pk, "segments": [world["segs"][1].pk]},
        format="json",
    )
    assert r.status_code == 403


def test_anonymous_users_cannot_use_the_planning_api(world):
    anon = APIClient()
    assert anon.get("/api/patrols/stewards/").status_code in (401, 403)
    assert anon.post("/api/grids/assign/", {}, format="json").status_code in (401, 403)
    assert anon.get(f"/plan/assign/{world['comm'].pk}/").status_code == 302  # to the login page


def test_a_steward_account_sees_pairs_but_not_the_registrys_personal_data(world, client):
    steward_user = f.user(world["a"], Membership.Role.STEWARD)
    api = APIClient()
    api.force_authenticate(steward_user)
    assert api.get(f"/api/patrols/pairs/{world['pair'].pk}/").status_code == 200
    assert api.get("/api/patrols/stewards/").json()["count"] == 0
    assert api.get(f"/api/patrols/stewards/{world['spare'][0].pk}/").status_code == 404
    client.force_login(steward_user)
    assert client.get(f"/plan/stewards/{world['a'].pk}/").status_code == 404


def test_token_authentication_works_and_is_scoped_too(world):
    from rest_framework.test import APIClient as Plain

    intruder = Plain()
    r = intruder.post(
        "/api/auth/token/",
        {"username": world["user"].username, "password": "pw-123456!"},
        format="json",
    )
    assert r.status_code == 200
    intruder.credentials(HTTP_AUTHORIZATION=f"Token {r.json()['token']}")
    assert intruder.get("/api/patrols/stewards/").status_code == 200
    assert intruder.get(f"/api/patrols/pairs/{world['pair'].pk}/").status_code == 404
