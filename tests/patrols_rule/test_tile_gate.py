"""The coverage tile answered at the WSGI level (config/tile_gate.py, config.wsgi.application):
a good session tile is the gate's own answer, byte for byte and header for header what Django's
whole stack answers; everything else is the stack's answer (401/403/400/405 with reasons, the
NUL guard, the 503 when the database is down)."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from config.tile_gate import TileGate
from config.wsgi import application, django_application
from geo.models import Membership
from patrols.api.tile_fast_path import UID_HINTS

from . import factories
from .test_pages import south_alley_in
from .test_tile_fast_path import PERIOD, tile_url

pytestmark = pytest.mark.django_db
GATE_SESSION_SQL = "SELECT session_data FROM django_session"


def call(app, path: str, params: dict | None = None, method: str = "get", **extra):
    """(status, headers, body) of a WSGI app, its response closed as a WSGI server closes it.
    As in Django's test client, the request signals do not close the test's connection."""
    environ = getattr(RequestFactory(), method)(path, params or {}, **extra).environ
    started = []
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        result = app(environ, lambda status, headers, exc=None: started.append((status, headers)))
        try:
            body = b"".join(result)
        finally:
            result.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return started[0][0], started[0][1], body


def cookie_of(client) -> str:
    return "; ".join(f"{k}={v.value}" for k, v in client.cookies.items())


def test_a_session_tile_is_the_gates_answer_and_the_stacks_to_the_byte(client, world):
    cookie = cookie_of(client)
    UID_HINTS.clear()
    for n, extra in enumerate(
        (
            {},
            {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"},
            {"HTTP_COOKIE": f"{cookie}; django_language=en"},
        )
    ):
        extra = {"HTTP_COOKIE": cookie, **extra}
        with CaptureQueriesContext(connection) as run:
            gate = call(application, tile_url(), PERIOD, **extra)
        # The stack was not run: first the gate's own session SELECT, then the one statement;
        # once the session was verified in this process, one statement holding both.
        sql = [q["sql"] for q in run.captured_queries]
        if n == 0:
            assert len(sql) == 2 and sql[0].startswith(GATE_SESSION_SQL)
        else:
            assert len(sql) == 1 and "FROM django_session" in sql[0] and "ST_AsMVT" in sql[0]
        stack = call(django_application, tile_url(), PERIOD, **extra)
        assert gate[0] == "200 OK" and south_alley_in(gate[2], world)
        assert gate == stack, extra
    pair = call(application, tile_url(), {**PERIOD, "by": "pair"}, HTTP_COOKIE=cookie)
    assert pair == call(
        django_application, tile_url(), {**PERIOD, "by": "pair"}, HTTP_COOKIE=cookie
    )


def test_everything_else_is_the_stacks_answer(client, world):
    cookie = cookie_of(client)
    other = factories.block_office(code="110108003")
    token = Token.objects.create(user=world["user"]).key
    cases = [
        ("/api/grids/coverage/tiles/3/9/1.pbf", PERIOD, {"HTTP_COOKIE": cookie}, 400),
        (tile_url(), {"from": "2024-13-01"}, {"HTTP_COOKIE": cookie}, 400),
        (tile_url(), {**PERIOD, "office": other["office"].code}, {"HTTP_COOKIE": cookie}, 403),
        (tile_url(), {**PERIOD, "office": "a\x00b"}, {"HTTP_COOKIE": cookie}, 400),
        (tile_url(), PERIOD, {}, 401),
        (tile_url(), PERIOD, {"HTTP_COOKIE": "sessionid=not-a-session-at-all"}, 401),
        (tile_url(), PERIOD, {"HTTP_AUTHORIZATION": f"Token {token}"}, 200),
        (tile_url(), PERIOD, {"HTTP_COOKIE": cookie, "HTTP_HOST": "elsewhere.example"}, 400),
    ]
    for path, params, extra, status in cases:
        gate, stack = (
            call(application, path, params, **extra),
            call(django_application, path, params, **extra),
        )
        assert gate == stack and gate[0].startswith(str(status)), (path, params, gate[0])
        if status != 200:
            assert json.loads(gate[2])  # a JSON reason (the parameter's name, or "detail")
    posted = call(application, tile_url(), PERIOD, method="post", HTTP_COOKIE=cookie)
    assert posted[0].startswith("4") and posted == call(
        django_application, tile_url(), PERIOD, method="post", HTTP_COOKIE=cookie
    )
    # A user who no longer supervises the office: the stack's 403, not a tile.
    Membership.objects.filter(user=world["user"]).delete()
    refused = call(application, tile_url(), PERIOD, HTTP_COOKIE=cookie)
    assert refused[0].startswith("403") and refused == call(
        django_application, tile_url(), PERIOD, HTTP_COOKIE=cookie
    )


def test_the_one_trip_hint_is_never_trusted(client, world):
    cookie = cookie_of(client)
    key = client.cookies["sessionid"].value
    mine = call(application, tile_url(), PERIOD, HTTP_COOKIE=cookie)
    assert mine[0] == "200 OK" and UID_HINTS[key] == world["user"].id
    # A hint naming someone else (who supervises another office): the session row says who.
    other = factories.block_office(code="110108004")
    someone = User.objects.create_user("someone", password="pw-123456")
    Membership.objects.create(user=someone, street_office=other["office"], role="supervisor")
    UID_HINTS[key] = someone.id
    assert call(application, tile_url(), PERIOD, HTTP_COOKIE=cookie) == mine
    assert UID_HINTS[key] == world["user"].id
    # Logged out (the row deleted): the stack's 401, and the hint is dropped.
    client.logout()
    assert call(application, tile_url(), PERIOD, HTTP_COOKIE=cookie)[0].startswith("401")
    assert key not in UID_HINTS


def test_a_changed_password_logs_the_session_out_as_the_stack_does(client, world):
    cookie = cookie_of(client)
    assert call(application, tile_url(), PERIOD, HTTP_COOKIE=cookie)[0] == "200 OK"
    world["user"].set_password("another-pw-987")
    world["user"].save()
    status, headers, _ = call(application, tile_url(), PERIOD, HTTP_COOKIE=cookie)
    assert status.startswith("401")
    assert call(application, tile_url(), PERIOD, HTTP_COOKIE=cookie)[0].startswith("401")


def test_the_gate_stands_aside_for_a_middleware_it_does_not_know(client, world):
    from django.conf import settings

    with override_settings(MIDDLEWARE=[*settings.MIDDLEWARE, "config.extra.Middleware"]):
        assert not TileGate(django_application).enabled
    assert TileGate(django_application).enabled


@pytest.mark.django_db(transaction=True)
def test_the_database_down_is_the_stacks_503(client, world):
    cookie = cookie_of(client)
    assert call(application, tile_url(), PERIOD, HTTP_COOKIE=cookie)[0] == "200 OK"
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"  # nothing listens there: every connect fails
    try:
        status, headers, body = call(application, tile_url(), PERIOD, HTTP_COOKIE=cookie)
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port
    assert status.startswith("503") and dict(headers)["Retry-After"]
    assert json.loads(body)["code"] == "database_unavailable"
    assert call(application, tile_url(), PERIOD, HTTP_COOKIE=cookie)[0] == "200 OK"
