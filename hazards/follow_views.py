"""The public "follow my report" pages: by report number and follow code, no account needed.

A wrong number and a wrong code get the same answer, so the page tells nobody which reports exist.
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from hazards.case_views import photo_response, timeline
from hazards.follow import code_matches, normalise
from hazards.models import HazardPhoto, HazardReport

S = HazardReport.Status
# The steps a resident sees, in order; side paths are shown where they happen.
MAIN_STEPS = [S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.RESOLVED, S.VERIFIED, S.CLOSED]


def _report(pk: int, code: str) -> HazardReport:
    report = HazardReport.objects.select_related("category").filter(pk=pk).first()
    if report is None or not code_matches(pk, code):
        raise Http404(_("没有找到这条上报，请检查编号和查询码。"))
    return report


def follow_lookup(request: HttpRequest) -> HttpResponse:
    """A form: report number + follow code → the follow page. A wrong pair re-shows the form with
    the reason (200, as a form page does: a 4xx would read as a broken page in the browser)."""
    number = request.GET.get("number", "").strip().lstrip("#")
    code = normalise(request.GET.get("code", ""))
    error = None
    if number or code:
        found = number.isdigit() and code_matches(int(number), code)
        if found and HazardReport.objects.filter(pk=int(number)).exists():
            return redirect("hazards:follow", pk=int(number), code=code)
        error = _("编号或查询码不正确。请使用提交上报后显示的编号和查询码。")
    return render(
        request,
        "hazards/follow_lookup.html",
        {"title": _("查询我的上报"), "number": number, "code": code, "error": error},
    )


def follow_page(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    report = _report(pk, code)
    reached = {e["status"] for e in timeline(report, public=True)}
    steps = [{"status": s, "label": s.label, "done": s in reached} for s in MAIN_STEPS]
    return render(
        request,
        "hazards/follow.html",
        {
            "title": _("上报 #%d 的进度") % report.pk,
            "r": report,
            "code": normalise(code),
            "steps": steps,
            "events": timeline(report, public=True),
            "photos": list(report.photos.all()),
            "side_path": report.status in (S.REJECTED, S.DUPLICATE, S.RETURNED, S.POSTPONED),
        },
    )


def follow_photo(
    request: HttpRequest, pk: int, code: str, photo_pk: int, size: str
) -> FileResponse:
    report = _report(pk, code)
    return photo_response(get_object_or_404(HazardPhoto, pk=photo_pk, report=report), size)
