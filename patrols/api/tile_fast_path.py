"""GET /api/grids/coverage/tiles/<z>/<x>/<y>.pbf without DRF in the way of a good request: the hot
path (a map being panned asks for a dozen tiles at once, each one uncached).

A GET from a logged-in session (no Authorization header) with valid tile coordinates and period
is answered from two round trips: the session row (SessionMiddleware's store) and ONE statement holding the
user, the office the user may supervise and the tile (`SCOPED_TILE_STATEMENT`), where the DRF view
takes five (the kept connection's health check, session, user, office, tile) plus DRF's
authentication, permission and content negotiation. The session is checked as Django's
`get_user` checks it: the user id and backend it holds, the user active, and its hash of the
user's password under the current SECRET_KEY. Anything else — anonymous, a token, bad coordinates
or dates, an office the user may not see, a session hash that does not match (Django then tries
the fallback keys or logs the session out) — is handed untouched to the DRF view, which answers as
it always has. The fast path only ever answers 200, with the DRF view's body and headers;
`tests/patrols_rule/test_tile_fast_path.py` holds the two to the same answers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import TypeVar

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import User
from django.contrib.sessions.backends.base import SessionBase
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from patrols import coverage_queries as queries

T = TypeVar("T")
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
TILE_TYPE = "application/vnd.mapbox-vector-tile"
# What DRF's APIView adds to a response of this view (finalize_response): kept identical.
DRF_HEADERS = {"Allow": "GET, HEAD, OPTIONS", "Vary": "Accept"}


def valid_tile(z: int, x: int, y: int) -> bool:
    return 0 <= z <= 22 and 0 <= x < 2**z and 0 <= y < 2**z


def period_of(params: QueryDict) -> tuple[date, date]:
    """[from, to] of the query (default: the last 7 days); ValidationError with the reason."""
    try:
        end = date.fromisoformat(params["to"]) if params.get("to") else timezone.localdate()
        start = (
            date.fromisoformat(params["from"]) if params.get("from") else end - timedelta(days=6)
        )
    except ValueError as exc:
        raise ValidationError({"from": _("日期格式应为 YYYY-MM-DD，例如 2024-05-14")}) from exc
    if end < start:
        raise ValidationError({"to": _("结束日期不能早于开始日期")})
    if (end - start).days > 366:
        raise ValidationError({"to": _("一次最多查询 366 天")})
    return start, end


def tile_response(tile: bytes) -> HttpResponse:
    resp = HttpResponse(tile, content_type=TILE_TYPE)
    resp["Cache-Control"] = "private, max-age=60"
    return resp


# session key -> the user id a fast tile last verified for it, per process: the gate's one-trip
# statement computes the tile for it and still checks the session row it returns (a hint only).
UID_HINTS: dict[str, int] = {}
MAX_HINTS = 4096


def _session_user(request: HttpRequest) -> tuple[int, str] | None:
    """(user id, session hash) when the session names a user the way django.contrib.auth's
    login() stores one; None sends the request to the DRF view."""
    session = getattr(request, "session", None)
    return None if session is None else _user_of(session)


def _user_of(session) -> tuple[int, str] | None:
    if session.get(BACKEND_SESSION_KEY) != MODEL_BACKEND:
        return None
    uid, session_hash = session.get(SESSION_KEY), session.get(HASH_SESSION_KEY)
    if not session_hash or not isinstance(uid, str) or not uid.isascii() or not uid.isdigit():
        return None
    return int(uid), session_hash


def _reading(read: Callable[[], T]) -> T:
    """`read` on the kept connection without the per-request `SELECT 1` health check (a round
    trip of its own before the session's SELECT): a connection that broke meanwhile fails the read
    itself, which then runs once more on a new one (a read: safe to repeat)."""
    if connection.connection is not None and not connection.in_atomic_block:
        connection.health_check_done = True
    try:
        return read()
    except (OperationalError, InterfaceError):
        if connection.in_atomic_block:
            raise
        connection.close()
        return read()


def fast_tile(request: HttpRequest, z: int, x: int, y: int) -> HttpResponse | None:
    """The tile for a good request; None: let the DRF view answer."""
    if request.method != "GET" or "HTTP_AUTHORIZATION" in request.META or not valid_tile(z, x, y):
        return None
    who = _reading(lambda: _session_user(request))
    if who is None:
        return None
    try:
        start, end = period_of(request.GET)
    except ValidationError:
        return None
    uid, session_hash = who
    by_pair = request.GET.get("by") == "pair"
    code = request.GET.get("office") or None
    params = queries.scoped_tile_params(uid, code, z, x, y, start, end, by_pair=by_pair)
    password, office_id, tile = _reading(lambda: queries.scoped_tile(params))
    if password is None or office_id is None:
        return None  # inactive or gone, or not this office's supervisor: 401/403 from DRF
    # As django.contrib.auth.get_user: the session's hash of the password under SECRET_KEY.
    if not constant_time_compare(
        session_hash, User(pk=uid, password=password).get_session_auth_hash()
    ):
        return None
    key = getattr(request.session, "session_key", None)
    if key:
        if len(UID_HINTS) >= MAX_HINTS:
            UID_HINTS.clear()
        UID_HINTS[key] = uid
    return _drf_like(tile)


def _drf_like(tile: bytes) -> HttpResponse:
    resp = tile_response(tile)
    for key, value in DRF_HEADERS.items():
        resp[key] = value
    return resp


def one_trip_tile(
    request: HttpRequest, store: SessionBase, z: int, x: int, y: int
) -> HttpResponse | None:
    """fast_tile in ONE round trip when this process has verified the session before: the session
    row and the tile in one statement, then the same checks as fast_tile on the row it returned
    (signature, user, backend, hash). None: fast_tile's two trips (or the DRF view) answer."""
    key = store.session_key
    uid = UID_HINTS.get(key) if key else None
    if uid is None or request.method != "GET" or "HTTP_AUTHORIZATION" in request.META:
        return None
    if not valid_tile(z, x, y):
        return None
    try:
        start, end = period_of(request.GET)
    except ValidationError:
        return None
    params = queries.scoped_tile_params(
        uid, request.GET.get("office") or None, z, x, y, start, end,
        by_pair=request.GET.get("by") == "pair",
    ) | {"session_key": key, "now": timezone.now()}  # fmt: skip
    data, password, office_id, tile = _reading(lambda: queries.session_tile(params))
    if data is None:
        UID_HINTS.pop(key, None)
        return None
    session = store.decode(data)  # {} unless signed with this SECRET_KEY (as SessionStore.load)
    who = _user_of(session)
    if who is None or who[0] != uid or password is None or office_id is None:
        return None
    if not constant_time_compare(who[1], User(pk=uid, password=password).get_session_auth_hash()):
        return None
    store._session_cache = session  # the row just read, as SessionStore.load would keep it
    store.accessed = True
    return _drf_like(tile)


# Set in the WSGI environ by config/tile_gate.py when the fast path declined a request.
DECLINED = "alley.tile_fast_path_declined"


def with_fast_path(drf_view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The DRF view's callable, answering good requests itself (keeps `cls`/`initkwargs` so that
    the OpenAPI schema still documents the DRF view)."""

    def view(request: HttpRequest, z: int, x: int, y: int) -> HttpResponse:
        # A request config/tile_gate.py already put through fast_tile goes straight to DRF: the
        # same session read and tile statement again would only decline again.
        response = None if request.META.get(DECLINED) else fast_tile(request, z, x, y)
        return response if response is not None else drf_view(request, z=z, x=x, y=y)

    view.cls = drf_view.cls
    view.initkwargs = drf_view.initkwargs
    view.csrf_exempt = True  # as DRF's views are
    return view
