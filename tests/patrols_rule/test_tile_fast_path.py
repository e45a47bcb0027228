"""The coverage tile's fast path (patrols/api/tile_fast_path.py): a good request from a logged-in
session is the session's SELECT and one statement (user + office scope + tile); everything else
gets the DRF view's answer, as before (401/403/400 with their reasons)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from geo.models import Membership
from patrols import coverage_queries as queries
from patrols.models import SegmentCoverage

from . import factories, synth
from .conftest import DAY
from .test_pages import _tile_of, south_alley_in

pytestmark = pytest.mark.django_db
PERIOD = {"from": "2024-05-14", "to": "2024-05-14"}


def tile_url(z: int = 16, dx: int = 0) -> str:
    x, y = _tile_of(synth.LON0 + 0.0015, synth.LAT0 + 0.001, z)
    return f"/api/grids/coverage/tiles/{z}/{x + dx}/{y}.pbf"


def test_a_session_tile_is_two_statements_and_the_drf_views_answer(client, world):
    with CaptureQueriesContext(connection) as queries_run:
        fast = client.get(tile_url(), PERIOD)
    assert fast.status_code == 200 and len(queries_run.captured_queries) == 2
    assert "django_session" in queries_run.captured_queries[0]["sql"]
    assert "geo_membership" in queries_run.captured_queries[1]["sql"]
    # The same tile through the DRF view (a token caller is always answered there).
    token = Token.objects.create(user=world["user"]).key
    with CaptureQueriesContext(connection) as queries_run:
        drf = Client(HTTP_AUTHORIZATION=f"Token {token}").get(tile_url(), PERIOD)
    assert drf.status_code == 200 and len(queries_run.captured_queries) > 2
    assert fast.content == drf.content and south_alley_in(fast.content, world)
    for header in ("Content-Type", "Cache-Control", "Allow"):
        assert fast[header] == drf[header], header
    assert fast["Cache-Control"] == "private, max-age=60"
    # DRF's Accept, the locale's Accept-Language, and Cookie (the session was read).
    assert fast["Vary"].split(", ") == [*drf["Vary"].split(", "), "Cookie"]
    # by=pair, and a tile with nothing in it.
    pair = client.get(tile_url(), {**PERIOD, "by": "pair"})
    assert pair.status_code == 200 and pair.content
    assert client.get(tile_url(dx=40), PERIOD).content == b""


def test_the_tile_is_the_offices_tile_and_follows_coverage_written_a_moment_ago(client, world):
    office = world["office"]
    z, x, y = (int(v) for v in tile_url().removesuffix(".pbf").split("/")[-3:])
    resp = client.get(tile_url(), PERIOD)
    assert resp.content == queries.coverage_tile(office.id, z, x, y, DAY, DAY)
    SegmentCoverage.objects.filter(day=DAY).delete()  # no cache: the next tile shows it
    after = client.get(tile_url(), PERIOD)
    assert after.status_code == 200 and after.content != resp.content
    assert after.content == queries.coverage_tile(office.id, z, x, y, DAY, DAY)


def test_the_office_is_the_one_asked_for_or_the_first_by_code(client, world):
    other = factories.block_office(code="110108002")  # the same streets again, in another office
    Membership.objects.create(
        user=world["user"], street_office=other["office"], role=Membership.Role.PLANNER
    )
    z, x, y = (int(v) for v in tile_url().removesuffix(".pbf").split("/")[-3:])
    mine = queries.coverage_tile(world["office"].id, z, x, y, DAY, DAY)
    theirs = queries.coverage_tile(other["office"].id, z, x, y, DAY, DAY)
    assert mine != theirs  # the second office has no coverage
    assert client.get(tile_url(), PERIOD).content == mine  # 110108001 sorts first
    asked = client.get(tile_url(), {**PERIOD, "office": "110108002"})
    assert asked.status_code == 200 and asked.content == theirs


def test_everything_else_gets_the_drf_views_answer(client, world):
    # Bad coordinates and dates: 400 naming the parameter.
    bad = client.get("/api/grids/coverage/tiles/3/9/1.pbf")
    assert bad.status_code == 400 and "tile" in bad.json()
    assert client.get(tile_url(), {"from": "2024-13-01"}).json().keys() == {"from"}
    assert client.get(tile_url(), {"from": "2024-05-14", "to": "2024-05-01"}).status_code == 400
    # An office the user does not supervise: 403 with the reason.
    other = factories.block_office(code="110108003")
    refused = client.get(tile_url(), {**PERIOD, "office": other["office"].code})
    assert refused.status_code == 403 and "110108003" in refused.json()["detail"]
    # A logged-in user who supervises nothing: 403.
    nobody = User.objects.create_user("nobody", password="pw-123456")
    c = Client()
    c.force_login(nobody)
    assert c.get(tile_url(), PERIOD).status_code == 403
    # Anonymous: 401 with the challenge.
    anon = Client().get(tile_url(), PERIOD)
    assert anon.status_code == 401 and anon["WWW-Authenticate"]
    # Not GET: 405 from DRF.
    assert client.post(tile_url(), PERIOD).status_code == 405


def test_a_session_that_no_longer_holds_is_refused_as_django_refuses_it(client, world):
    user = world["user"]
    assert client.get(tile_url(), PERIOD).status_code == 200
    user.is_active = False
    user.save()
    assert client.get(tile_url(), PERIOD).status_code == 401
    user.is_active = True
    user.save()
    assert client.get(tile_url(), PERIOD).status_code == 200
    # A password changed elsewhere ends the session (its hash no longer matches): logged out.
    user.set_password("another-pw-987")
    user.save()
    assert client.get(tile_url(), PERIOD).status_code == 401
    assert client.get(tile_url(), PERIOD).status_code == 401  # the session was flushed


@pytest.mark.django_db(transaction=True)
def test_a_kept_connection_that_broke_is_replaced_without_the_health_check(client, world):
    assert client.get(tile_url(), PERIOD).status_code == 200
    connection.connection.close()  # the server went away between two requests
    # No `SELECT 1` first: the session's read fails and is run again on a new connection.
    again = client.get(tile_url(), PERIOD)
    assert again.status_code == 200 and south_alley_in(again.content, world)
