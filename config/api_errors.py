"""The API answers in JSON (Open311 in its own XML/JSON error format), never with an HTML page.

- ``exception_handler``: DRF's, plus Django ValidationErrors as 400 and a refused anonymous caller
  as 401 with ``WWW-Authenticate`` (DRF alone says 403 when a view raises PermissionDenied).
- ``ApiGuardMiddleware``: for /api/ and /open311/ paths, a NUL byte in a query parameter is a 400
  naming the parameter (PostgreSQL refuses NUL in text: it was a 500); an unhandled exception is a
  JSON 500 whatever DEBUG says; any HTML error page (Django's 404/500, debug or not) becomes JSON.
  It sits first in MIDDLEWARE, so errors raised by the other middleware are converted too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.signals import got_request_exception
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from hazards.open311 import georeport

API_PREFIXES = ("/api/", "/open311/")
AUTH_CHALLENGE = 'Token realm="api"'
logger = logging.getLogger("django.request")


def is_api(path: str) -> bool:
    return path.startswith(API_PREFIXES)


def error_response(request: HttpRequest, status: int, detail: str, **extra) -> HttpResponse:
    """An error in the format of the path: Open311's errors list, or ``{"detail": …}``."""
    if request.path.startswith("/open311/"):
        fmt = "xml" if request.path.endswith(".xml") else "json"
        return georeport.error(fmt, status, detail)
    return JsonResponse({"detail": detail, **extra}, status=status)


def exception_handler(exc: Exception, context: dict) -> HttpResponse | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError({"detail": exc.messages})
    response = drf_exception_handler(exc, context)
    request = context.get("request")
    user = getattr(request, "user", None)
    if (
        response is not None
        and response.status_code == 403
        and user is not None
        and not user.is_authenticated
    ):
        # Refused because nobody is logged in: that is 401, and the client is told how to log in.
        response.status_code = 401
        response.data = {"detail": str(exceptions.NotAuthenticated.default_detail)}
        response["WWW-Authenticate"] = AUTH_CHALLENGE
    return response


def nul_parameter(request: HttpRequest) -> str | None:
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in v for v in values):
            return key.replace("\x00", "\\0")
    return None


class ApiGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_api(request.path):
            return self.get_response(request)
        if (name := nul_parameter(request)) is not None:
            if request.path.startswith("/open311/"):  # GeoReport clients read English
                return error_response(request, 400, f"{name} contains a NUL character")
            return error_response(
                request, 400, _("参数 %(name)s 含有 NUL 字符。") % {"name": name}, parameter=name
            )
        response = self.get_response(request)
        if response.status_code >= 400 and response.get("Content-Type", "").startswith("text/html"):
            return error_response(request, response.status_code, _reason(response))
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_api(request.path):
            return None
        logger.error("Internal Server Error: %s", request.path, exc_info=exception)
        # As Django's own handler does: error reporters (and the test client) hear of it.
        got_request_exception.send(sender=None, request=request)
        return error_response(request, 500, "Internal server error")


def _reason(response: HttpResponse) -> str:
    if response.status_code == 404:
        return "Not found."
    return response.reason_phrase or "Error"
