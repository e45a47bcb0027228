"""When PostgreSQL is unreachable (restart, failover), every request gets a 503 with Retry-After
(JSON for the API, a short page otherwise) instead of a 500; the next request reconnects by itself
(persistent connections are health-checked, broken ones are closed here)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from geo.errors import server_error as friendly_server_error

RETRY_AFTER_SECONDS = 5
DB_DOWN = (OperationalError, InterfaceError)
log = logging.getLogger("ops.unavailable")


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(("/api/", "/open311/", "/healthz")) or (
        "application/json" in request.headers.get("Accept", "")
    )


def unavailable_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """503 + Retry-After; the broken connections are dropped so that the next request reconnects."""
    log.warning("database unavailable on %s: %s", request.path, str(exc).splitlines()[0:1])
    for conn in connections.all(initialized_only=True):
        try:
            conn.close()
        except DB_DOWN:
            conn.connection = None
    detail = _("数据库暂时不可用，请稍后重试。")
    if _wants_json(request):
        response: HttpResponse = JsonResponse(
            {"detail": detail, "code": "database_unavailable", "retry_after": RETRY_AFTER_SECONDS},
            status=503,
        )
    else:
        response = HttpResponse(
            f'<!doctype html><meta charset="utf-8"><title>503</title><p>{detail}</p>',
            status=503,
        )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turns a database error raised by a view into the 503 (other middleware: see server_error)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DB_DOWN):
            return unavailable_response(request, exception)
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the database errors raised outside views (sessions, auth) are a 503 as well."""
    exc = sys.exc_info()[1]
    if isinstance(exc, DB_DOWN):
        return unavailable_response(request, exc)
    return friendly_server_error(request)
