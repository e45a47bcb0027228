"""Pages: the community leaderboards of a quarter (金牌管家), one steward's quarter, the Excel export."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from credits import ledger
from credits.access import (
    BOARD_ROLES,
    CONFIRM_ROLES,
    _credit_can,
    _credit_can_see_steward,
    _credit_own_steward,
)
from credits.board import history, leaderboard
from credits.export import quarter_workbook
from credits.grading import quarter_bounds, quarter_of
from credits.models import Assessment, ReplacementTask
from credits.quarterly import confirm_assessment, settings_for
from geo.downloads import xlsx_download
from geo.models import StreetOffice
from stewards.models import Steward

WEIGHT_LABELS = [
    ("weight_compliance", gettext_lazy("巡查达标率（达标日 ÷ 有效巡查日）")),
    ("weight_coverage", gettext_lazy("认领街巷覆盖率（走过长度 ÷ 认领长度）")),
    ("weight_reports", gettext_lazy("隐患上报（已核实，满分条数见下）")),
    ("weight_satisfaction", gettext_lazy("群众满意度（平均星级 − 1）÷ 4")),
]


def _check_quarter(quarter: str) -> str:
    try:
        quarter_bounds(quarter)
    except ValueError as exc:
        raise Http404(str(exc)) from exc
    return quarter.upper()


def _office_for_board(request: HttpRequest, code: str) -> StreetOffice:
    office = StreetOffice.objects.filter(code=code).first()
    if office is None or not _credit_can(request.user, office.pk, BOARD_ROLES):
        raise Http404(_("没有这个街道，或您在该街道没有查看权限"))
    return office


@login_required
def quarter_board(request: HttpRequest, code: str, quarter: str) -> HttpResponse:
    office = _office_for_board(request, code)
    quarter = _check_quarter(quarter)
    params = settings_for(office)[1]
    boards = leaderboard(office, quarter)
    weights = [(label, getattr(params, key)) for key, label in WEIGHT_LABELS]
    tasks = ReplacementTask.objects.filter(
        street_office=office, closed_at__isnull=True
    ).select_related("community", "steward")
    return render(
        request,
        "credits/quarter_board.html",
        {
            "title": _("%(office)s %(quarter)s 积分与考核")
            % {"office": office.name, "quarter": quarter},
            "office": office,
            "quarter": quarter,
            "boards": boards,
            "params": params,
            "compliance_pct": round(params.min_compliance_rate * 100),
            "weights": weights,
            "can_confirm": _credit_can(request.user, office.pk, CONFIRM_ROLES),
            "tasks": tasks,
        },
    )


@login_required
@require_POST
def confirm(request: HttpRequest, assessment_id: int) -> HttpResponse:
    a = get_object_or_404(Assessment, pk=assessment_id)
    if not _credit_can(request.user, a.street_office_id, CONFIRM_ROLES):
        return HttpResponseForbidden(_("只有本街道的规划员可以确认考核等级"))
    if a.grade is not None:
        confirm_assessment(a, request.user)
    return redirect(reverse("credits:quarter", args=[a.street_office.code, a.quarter]))


@login_required
def export(request: HttpRequest, code: str, quarter: str) -> HttpResponse:
    office = _office_for_board(request, code)
    quarter = _check_quarter(quarter)
    return xlsx_download(quarter_workbook(office, quarter), f"credits-{office.code}-{quarter}")


@login_required
def steward_quarter(request: HttpRequest, steward_id: int, quarter: str) -> HttpResponse:
    steward = get_object_or_404(
        Steward.objects.select_related("community", "street_office"), pk=steward_id
    )
    if not _credit_can_see_steward(request.user, steward):
        raise Http404(_("没有这位管家，或您无权查看"))
    quarter = _check_quarter(quarter)
    a = Assessment.objects.filter(steward=steward, quarter=quarter).first()
    params = settings_for(steward.street_office)[1]
    return render(
        request,
        "credits/steward_quarter.html",
        {
            "title": _("%(name)s 的 %(quarter)s") % {"name": steward.name, "quarter": quarter},
            "steward": steward,
            "quarter": quarter,
            "assessment": a,
            "balance": ledger.balance_of(steward),
            "entries": history(steward, limit=200),
            "params": params,
            "is_staff": _credit_can(request.user, steward.street_office_id, BOARD_ROLES),
        },
    )


@login_required
def my_quarter(request: HttpRequest) -> HttpResponse:
    s = _credit_own_steward(request.user)
    if s is None:
        # Points are earned by stewards; say so kindly instead of a 404 (issue 13).
        return render(request, "credits/no_points.html", {"title": _("我的积分")})
    return redirect(reverse("credits:steward", args=[s.pk, quarter_of(timezone.localdate())]))
