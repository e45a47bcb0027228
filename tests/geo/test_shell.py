"""The shell: one log-in page for everyone, a top bar by role, friendly error pages (JSON on APIs)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from demo.district import load_demo_district
from geo.models import Membership
from geo.shell import nav_links

pytestmark = pytest.mark.django_db


def _user(name: str, office=None, role: str | None = None):
    user = get_user_model().objects.create_user(name, password="pw-for-tests-1")
    if role:
        Membership.objects.create(user=user, street_office=office, role=role)
    return user


def _keys(user) -> list[str]:
    return [link.key for link in nav_links(user)]


def test_each_role_is_offered_its_own_pages():
    office = load_demo_district()
    planner = _keys(_user("p", office, "planner"))
    supervisor = _keys(_user("s", office, "supervisor"))
    worker = _keys(_user("g", office, "grid_worker"))
    nobody = _keys(_user("n"))
    assert {"assign", "registry", "boards", "coverage"} <= set(planner)
    assert not {"compliance", "hazard-map"} & set(planner)
    assert {"compliance", "coverage-map", "hazard-map", "hazard-cases", "credits"} <= set(
        supervisor
    )
    assert not {"assign", "registry", "points", "upload"} & set(supervisor + worker)
    assert "report" in worker and "report" in nobody and "points" not in nobody


def test_anonymous_people_can_report_and_log_in(client):
    from django.contrib.auth.models import AnonymousUser

    load_demo_district()
    assert _keys(AnonymousUser()) == ["district-map", "report", "follow"]
    html = client.get("/").content.decode()
    assert 'data-nav="login"' in html and 'data-nav="admin"' not in html
    # The home page links planning pages only for their planners; the public board for everyone.
    assert "/plan/assign/" not in html and "/plan/board/" in html


def test_a_page_that_needs_a_log_in_sends_to_our_log_in_page_in_the_same_language(client):
    response = client.get("/en/patrols/compliance/")
    assert response.status_code == 302
    assert response["Location"].startswith("/en/accounts/login/?next=/en/patrols/compliance/")
    assert client.get("/hazards/cases/")["Location"].startswith("/accounts/login/")


def test_admin_link_only_for_staff():
    office = load_demo_district()
    c = Client()
    c.force_login(_user("p", office, "planner"))
    assert 'data-nav="admin"' not in c.get("/").content.decode()
    staff = _user("boss")
    staff.is_staff = True
    staff.save()
    c.force_login(staff)
    assert 'data-nav="admin"' in c.get("/").content.decode()


@override_settings(DEBUG=False)
def test_errors_are_friendly_pages_in_the_language_and_json_on_the_api():
    office = load_demo_district()
    c = Client()
    c.force_login(_user("n", office, "steward"))
    forbidden = c.get("/en/patrols/compliance/")
    assert forbidden.status_code == 403
    html = forbidden.content.decode()
    assert 'data-status="403"' in html and "You may not open this page" in html
    missing = c.get("/no/such/page/")
    assert missing.status_code == 404 and 'data-status="404"' in missing.content.decode()
    api = c.get("/api/no/such/thing/")
    assert api.status_code == 404 and api["Content-Type"] == "application/json"


def test_my_points_for_someone_without_points_says_so_kindly():
    office = load_demo_district()
    c = Client()
    c.force_login(_user("s", office, "supervisor"))
    response = c.get("/en/credits/me/")
    assert response.status_code == 200
    assert "no points here" in response.content.decode()


def test_online_tiles_are_off_unless_configured():
    from geo.shell import basemap_config

    assert basemap_config()["online"] is None
    with override_settings(
        ALLEY_ONLINE_TILES_URL="https://tile.example/{z}/{x}/{y}.png",
        ALLEY_ONLINE_TILES_ATTRIBUTION="© example",
    ):
        online = basemap_config()["online"]
    assert online == {"url": "https://tile.example/{z}/{x}/{y}.png", "attribution": "© example"}
    assert basemap_config()["url"] == "/api/geo/basemap/"


def test_the_500_page_needs_no_database_and_the_api_gets_json():
    from django.test import RequestFactory

    from geo.errors import server_error

    page = server_error(RequestFactory().get("/plan/x/"))
    assert page.status_code == 500 and 'data-status="500"' in page.content.decode()
    api = server_error(RequestFactory().get("/api/x/"))
    assert api.status_code == 500 and api["Content-Type"] == "application/json"
