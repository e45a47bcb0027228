"""The coverage tile answered at the WSGI level, ahead of Django's middleware stack and URL resolver.

A map being panned asks for a dozen uncached tiles at once; through the whole stack a tile paid
~1 ms of Python (12 middlewares, the i18n-aware resolver, the session through the ORM) around its
two round trips. `TileGate` wraps config.wsgi's application: a GET of
/api/grids/coverage/tiles/<z>/<x>/<y>.pbf without Authorization or a body goes to
patrols.api.tile_fast_path: one_trip_tile (session row and tile in one statement, once this
process has verified the session) or fast_tile (the session read by one plain SELECT, then the
tile), and the answer is
finished by the very middleware methods the stack would run on it (Security, Session, Locale,
Common, XFrameOptions: same headers, same Content-Language, same Vary). Every other request, and
every tile the fast path does not answer itself or that raises (anonymous, token, bad input → 400/401/403/405
with their reasons; a NUL in the query; a database error → DatabaseUnavailableMiddleware's 503,
the read being repeated there), goes to Django's handler untouched. The gate stands aside unless
MIDDLEWARE is the list it was written for, so a middleware added later is never skipped silently.
tests/patrols_rule/test_tile_gate.py holds the gate's answers to the stack's, header for header.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib.sessions.backends import db as db_sessions
from django.contrib.sessions.middleware import SessionMiddleware
from django.contrib.sessions.models import Session
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.locale import LocaleMiddleware
from django.middleware.security import SecurityMiddleware
from django.utils import timezone

from config.api_errors import nul_parameter
from patrols.api.tile_fast_path import DECLINED, fast_tile, one_trip_tile

TILE_PATH = re.compile(r"/api/grids/coverage/tiles/([0-9]+)/([0-9]+)/([0-9]+)\.pbf\Z")
# The stack this gate stands in for; any other MIDDLEWARE and every request goes to Django.
STACK = [
    "config.upload_limit.UploadLimitMiddleware",  # a GET without a body: nothing to limit
    "config.api_errors.ApiGuardMiddleware",  # a NUL in the query: sent to the stack
    "django.middleware.security.SecurityMiddleware",  # run below
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files only
    "django.contrib.sessions.middleware.SessionMiddleware",  # run below (the store: TileSession)
    "django.middleware.locale.LocaleMiddleware",  # run below
    "django.middleware.common.CommonMiddleware",  # run below
    "django.middleware.csrf.CsrfViewMiddleware",  # a GET, and the token is never asked for
    "django.contrib.auth.middleware.AuthenticationMiddleware",  # fast_tile checks the session
    "django.contrib.messages.middleware.MessageMiddleware",  # no messages read or written
    "django.middleware.clickjacking.XFrameOptionsMiddleware",  # run below
    "ops.unavailable.DatabaseUnavailableMiddleware",  # a database error: sent to the stack
]
DB_SESSIONS = "django.contrib.sessions.backends.db"
StartResponse = Callable[..., object]


class TileSession(db_sessions.SessionStore):
    """The database session store, its row read by one plain SELECT instead of the ORM's
    (the same row: the key, not expired; the same decoding and signature check)."""

    @property
    def key_salt(self) -> str:  # the salt is named after the class: the store's own
        return "django.contrib.sessions." + db_sessions.SessionStore.__qualname__

    def load(self) -> dict:
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT session_data FROM {Session._meta.db_table} "  # noqa: S608 - a model's table
                "WHERE session_key = %s AND expire_date > %s",
                [self.session_key, timezone.now()],
            )
            row = cur.fetchone()
        if row is None:
            self._session_key = None
            return {}
        return self.decode(row[0])


def _unused(request: HttpRequest) -> HttpResponse:
    raise AssertionError("the gate only runs the middlewares' request/response methods")


class TileGate:
    def __init__(self, django_app: WSGIHandler):
        self.django = django_app
        self.enabled = list(settings.MIDDLEWARE) == STACK and settings.SESSION_ENGINE == DB_SESSIONS
        # In request order; their responses run in the reverse order, as in the stack.
        self.security = SecurityMiddleware(_unused)
        self.session = SessionMiddleware(_unused)
        self.locale = LocaleMiddleware(_unused)
        self.common = CommonMiddleware(_unused)
        self.xframe = XFrameOptionsMiddleware(_unused)

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        match = TILE_PATH.match(environ.get("PATH_INFO", ""))
        if (
            match is None
            or not self.enabled
            or environ.get("REQUEST_METHOD") != "GET"
            or "HTTP_AUTHORIZATION" in environ
            or environ.get("CONTENT_LENGTH", "0") not in ("", "0")
            or settings.FORCE_SCRIPT_NAME is not None
        ):
            return self.django(environ, start_response)
        signals.request_started.send(sender=WSGIHandler, environ=environ)
        try:
            response = self._tile(WSGIRequest(environ), *(int(v) for v in match.groups()))
        except DatabaseError:
            # The stack repeats the read on a new connection or answers the 503.
            connection.close()
            response = None
        except Exception:  # e.g. a Host not allowed: the stack's answer (400), as for any request
            response = None
        if response is None:
            return self.django(environ, start_response)
        response._handler_class = WSGIHandler  # its close() sends request_finished, as Django's
        start_response(
            f"{response.status_code} {response.reason_phrase}",
            [*response.items(), *(("Set-Cookie", c.output(header="")) for c in response.cookies.values())],
        )  # fmt: skip
        return response

    def _tile(self, request: HttpRequest, z: int, x: int, y: int) -> HttpResponse | None:
        if nul_parameter(request) is not None or self.security.process_request(request):
            return None
        request.session = TileSession(request.COOKIES.get(settings.SESSION_COOKIE_NAME))
        self.locale.process_request(request)
        if self.common.process_request(request) is not None:
            return None
        response = one_trip_tile(request, request.session, z, x, y) or fast_tile(request, z, x, y)
        if response is None:
            request.META[DECLINED] = True  # the environ Django's handler gets: the view skips it
            return None
        for middleware in (self.xframe, self.common, self.locale, self.session, self.security):
            response = middleware.process_response(request, response)
        return response
