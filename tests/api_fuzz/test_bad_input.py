"""Each input that answered 500 (issue 16) answers 4xx with a reason, in JSON; anonymous is 401."""

from __future__ import annotations

import pytest
from django.http import HttpResponse, HttpResponseServerError
from django.test import RequestFactory
from rest_framework.test import APIClient

from config.api_errors import ApiGuardMiddleware
from geo.api.pagination import MAX_LIMIT
from tests.credits import factories as f


@pytest.fixture
def office_world(db):
    so = f.office()
    comm = f.community(so)
    a, b = f.steward(comm, "管家甲", username="sa"), f.steward(comm, "管家乙", username="sb")
    pair = f.pair(comm, a, b)
    return {
        "so": so,
        "comm": comm,
        "pair": pair,
        "steward": a,
        "planner": f.staff(so, "planner"),
        "supervisor": f.staff(so, "supervisor", role="supervisor"),
    }


def as_user(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/grids/segments/?community=AAA", "community"),
        ("/api/grids/claims/?pair=1x", "pair"),
        ("/api/tracks/?steward=abc", "steward"),
        ("/api/patrols/stewards/?community=abc", "community"),
        ("/api/patrols/pairs/?community=²", "community"),
        ("/api/hazards/reports/?grid=²", "grid"),
        ("/api/hazards/categories/?street_office=²", "street_office"),
        ("/api/credits/assessments/?office=WDK&quarter=2026Q3&community=x", "community"),
        ("/api/patrols/stewards/?limit=abc", "limit"),
        ("/api/patrols/stewards/?offset=99999999999999999999", "offset"),
        ("/api/patrols/pairs/?limit=0", "limit"),
        ("/api/grids/segments/?day=2026-02-30", "day"),
        ("/api/hazards/kpis/?start=2026-02-30", "start"),
    ],
)
def test_a_bad_number_or_date_is_a_400_naming_the_parameter(office_world, url, param):
    response = as_user(office_world["planner"]).get(url)
    assert response.status_code == 400, response.content
    assert param in response.json()


def test_an_impossible_hotspot_date_is_a_400(office_world):
    response = as_user(office_world["supervisor"]).get("/api/hazards/hotspots/?start=2026-02-30")
    assert response.status_code == 400 and "detail" in response.json()


def test_a_non_numeric_id_in_the_path_is_a_404_in_json(office_world):
    response = as_user(office_world["planner"]).get("/api/patrols/settings/abc/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    "url",
    [
        "/api/patrols/stewards/",
        "/api/patrols/pairs/",
        "/api/patrols/verdicts/",
        "/api/tracks/",
        "/api/geo/communities/",
    ],
)
def test_a_huge_limit_is_answered_with_the_largest_page(office_world, url):
    response = as_user(office_world["planner"]).get(url, {"limit": "99999999999999999999"})
    assert response.status_code == 200, response.content
    assert response.json()["count"] >= 0


def test_a_nul_byte_in_any_query_parameter_is_a_400_naming_it(office_world):
    c = as_user(office_world["supervisor"])
    for url, param in [
        ("/api/patrols/verdicts/", "office"),
        ("/api/hazards/reports/", "status"),
        ("/api/geo/street-offices/", "code"),
    ]:
        response = c.get(url, {param: "\x00"})
        assert response.status_code == 400 and response.json()["parameter"] == param


@pytest.mark.parametrize("body", ["[]", "null", "7", '"text"'])
def test_a_json_body_that_is_not_an_object_is_a_400(office_world, body):
    c = as_user(office_world["planner"])
    pair, so = office_world["pair"], office_world["so"]
    for method, url in [
        ("post", "/api/patrols/pairs/"),
        ("post", "/api/patrols/stewards/"),
        ("patch", f"/api/patrols/settings/{so.pk}/"),
        ("post", "/api/hazards/reports/1/rate/"),
        ("put", f"/api/credits/rules/?office={so.code}"),
        ("post", f"/api/patrols/pairs/{pair.pk}/evaluate/"),
    ]:
        response = getattr(c, method)(url, body, content_type="application/json")
        assert response.status_code == 400, (url, response.content)
        assert "detail" in response.json()


def test_credit_rules_refuse_numbers_that_are_not_settings(office_world):
    c = as_user(office_world["planner"])
    url = f"/api/credits/rules/?office={office_world['so'].code}"
    for body in ['{"points_rules": {"per_verified_report": 1e400}}', '{"points_rules": 7}']:
        response = c.put(url, body, content_type="application/json")
        assert response.status_code == 400 and "points_rules" in response.json()
    ok = c.put(url, {"points_rules": {"per_verified_report": 4}}, format="json")
    assert ok.status_code == 200 and ok.json()["points_rules"]["per_verified_report"] == 4


@pytest.mark.parametrize("role", ["planner", "supervisor"])
def test_staff_read_the_assessments_of_their_office(office_world, role):
    c = as_user(office_world[role])
    response = c.get("/api/credits/assessments/", {"office": "WDK", "quarter": "2026Q3"})
    assert response.status_code == 200 and response.json()["results"] == []


@pytest.mark.parametrize(
    "url", ["/api/tracks/", "/api/hazards/kpis/", "/api/patrols/verdicts/", "/api/grids/claims/"]
)
def test_anonymous_callers_get_401_with_a_challenge(db, url):
    response = APIClient().get(url)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_unknown_api_paths_and_html_errors_answer_in_json(db):
    response = APIClient().get("/api/no-such-thing/")
    # In the default language (Chinese), as every error of the API.
    assert response.status_code == 404 and response.json()["detail"]
    request = RequestFactory().get("/api/geo/segments/")
    guard = ApiGuardMiddleware(lambda r: HttpResponseServerError("<html>boom</html>"))
    response = guard(request)
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
    crashed = guard.process_exception(request, RuntimeError("boom"))
    assert crashed.status_code == 500 and b"boom" not in crashed.content
    # Pages outside the API keep their HTML.
    page = ApiGuardMiddleware(lambda r: HttpResponse("<html></html>", status=404))
    assert page(RequestFactory().get("/plan/"))["Content-Type"].startswith("text/html")


def test_the_largest_page_is_documented(db):
    schema = APIClient().get("/api/schema/?format=json").json()
    limit = next(
        p
        for p in schema["paths"]["/api/patrols/stewards/"]["get"]["parameters"]
        if p["name"] == "limit"
    )
    assert str(MAX_LIMIT) in limit["description"]
