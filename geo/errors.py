"""Friendly error pages in the person's language, each with a way on; API paths keep JSON.

Installed as Django's handler403/404/500 (config/urls.py); used only with DEBUG off.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _

API_PREFIXES = ("/api/", "/open311/")


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIXES)


def _reason(exception: Exception | None) -> str:
    """The message a view raised with (already in the person's language), if it is one."""
    if exception is None:
        return ""
    text = str(exception.args[0]) if exception.args else ""
    # Django's own 404s carry resolver dicts, not sentences; show none of that.
    return text if text and not text.startswith(("{", "[")) else ""


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": _reason(exception) or _("没有权限。")}, status=403)
    context = {"title": _("没有权限"), "reason": _reason(exception)}
    return render(request, "403.html", context, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse({"detail": _reason(exception) or _("没有找到。")}, status=404)
    context = {"title": _("页面不存在"), "reason": _reason(exception)}
    return render(request, "404.html", context, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """No request context (the database may be what failed): a standalone page, no top bar."""
    if _is_api(request):
        return JsonResponse({"detail": _("服务器出错了，请稍后再试。")}, status=500)
    return HttpResponse(loader.get_template("500.html").render({}), status=500)
