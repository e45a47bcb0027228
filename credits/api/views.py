"""API under /api/credits/: balances and history, redemptions, corrections, the points board,
assessments (with their formula), confirmation, replacement tasks, rules, Excel export."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from credits import ledger
from credits.access import (
    BOARD_ROLES,
    CONFIRM_ROLES,
    REDEEM_ROLES,
    _credit_can,
    _credit_can_see_steward,
    _credit_own_steward,
)
from credits.board import history, leaderboard
from credits.export import quarter_workbook
from credits.grading import AssessmentParams, quarter_bounds
from credits.models import (
    Assessment,
    CreditSettings,
    CreditSupermarket,
    PointsEntry,
    ReplacementTask,
)
from credits.quarterly import confirm_assessment, settings_for
from credits.rules import PointsRules
from geo.api.params import query_int
from geo.downloads import xlsx_download
from geo.models import StreetOffice
from stewards.models import Steward


class EntrySerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")

    class Meta:
        model = PointsEntry
        fields = ["id", "amount", "kind", "kind_label", "reference", "note", "created_at"]


class AssessmentSerializer(serializers.ModelSerializer):
    steward_name = serializers.CharField(source="steward.name")
    community_name = serializers.CharField(source="community.name")
    grade_label = serializers.SerializerMethodField()

    class Meta:
        model = Assessment
        fields = [
            "id",
            "steward",
            "steward_name",
            "community",
            "community_name",
            "quarter",
            "score",
            "grade",
            "grade_label",
            "reasons",
            "inputs",
            "formula_version",
            "computed_at",
            "confirmed_at",
        ]

    def get_grade_label(self, obj: Assessment) -> str:
        return obj.get_grade_display() if obj.grade else _("数据不足，不评定")


class SupermarketSerializer(serializers.ModelSerializer):
    class Meta:
        model = CreditSupermarket
        fields = ["id", "community", "name", "address", "active"]
        # The view checks the name with a specific message instead of DRF's generic one.
        validators = []


class RedemptionIn(serializers.Serializer):
    steward = serializers.IntegerField()
    supermarket = serializers.IntegerField()
    items = serializers.CharField(max_length=300)
    points = serializers.IntegerField(min_value=1)


class RulesIn(serializers.Serializer):
    """Numbers only, and bounded: a rule of 1e400 points is not a setting (it overflowed the int)."""

    points_rules = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=1_000_000), required=False
    )
    assessment_params = serializers.DictField(
        child=serializers.FloatField(min_value=0, max_value=1_000_000), required=False
    )


class CorrectionIn(serializers.Serializer):
    steward = serializers.IntegerField()
    amount = serializers.IntegerField()
    note = serializers.CharField(max_length=300)


OFFICE = OpenApiParameter("office", str, description="街道代码", required=True)
QUARTER = OpenApiParameter("quarter", str, description="季度，如 2026Q3", required=True)


class LedgerOut(serializers.Serializer):
    steward = serializers.IntegerField()
    name = serializers.CharField()
    balance = serializers.IntegerField()
    history = EntrySerializer(many=True)


def _schema(summary: str, *, params=(), request=None, response=OpenApiTypes.OBJECT):
    return extend_schema(
        summary=summary,
        parameters=list(params),
        request=request,
        responses=response,
        tags=["credits"],
    )


def _office(request: Request, roles) -> StreetOffice:
    code = request.query_params.get("office")
    if not code:
        raise ValidationError({"office": _("请用 ?office=街道代码 指定街道")})
    office = StreetOffice.objects.filter(code=code).first()
    # 404 for an office the user has no role in: do not reveal that it exists.
    if office is None or not _credit_can(request.user, office.pk, roles):
        raise NotFound(_("没有这个街道，或您在该街道没有查看权限"))
    return office


def _quarter(request: Request) -> str:
    q = (request.query_params.get("quarter") or "").upper()
    try:
        quarter_bounds(q)
    except ValueError as exc:
        raise ValidationError({"quarter": str(exc)}) from exc
    return q


def _steward_or_404(request: Request, steward_id: int) -> Steward:
    s = Steward.objects.filter(pk=steward_id).first()
    if s is None or not _credit_can_see_steward(request.user, s):
        raise NotFound(_("没有这位管家，或您无权查看其积分"))
    return s


def _ledger_payload(s: Steward) -> dict:
    return {
        "steward": s.pk,
        "name": s.name,
        "balance": ledger.balance_of(s),
        "history": EntrySerializer(history(s, limit=500), many=True).data,
    }


@_schema("我的积分余额与明细", response=LedgerOut)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def my_points(request: Request) -> Response:
    s = _credit_own_steward(request.user)
    if s is None:
        raise NotFound(_("您的账号没有关联小巷管家档案；请联系街道规划员关联。"))
    return Response(_ledger_payload(s))


@_schema("某位管家的积分余额与明细（本人或本街道规划员/督查员）", response=LedgerOut)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def steward_points(request: Request, steward_id: int) -> Response:
    return Response(_ledger_payload(_steward_or_404(request, steward_id)))


@_schema("社区积分与考核排行（金牌管家）", params=(OFFICE, QUARTER))
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def board(request: Request) -> Response:
    office = _office(request, BOARD_ROLES)
    quarter = _quarter(request)
    out = []
    for comm, rows in leaderboard(office, quarter).items():
        out.append(
            {
                "community": comm.pk,
                "community_name": comm.name,
                "gold": [r.name for r in rows if r.gold],
                "rows": [
                    {**r.__dict__, "score": None if r.score is None else str(r.score)} for r in rows
                ],
            }
        )
    return Response({"office": office.code, "quarter": quarter, "communities": out})


@_schema(
    "本街道的积分超市；POST 由规划员新增",
    params=(OFFICE,),
    request=SupermarketSerializer,
    response=SupermarketSerializer(many=True),
)
@api_view(["GET", "POST"])
@permission_classes([IsAuthenticated])
def supermarkets(request: Request) -> Response:
    office = _office(request, (*BOARD_ROLES, *REDEEM_ROLES))
    if request.method == "POST":
        if not _credit_can(request.user, office.pk, CONFIRM_ROLES):
            raise PermissionDenied(_("只有本街道的规划员可以新增积分超市"))
        data = SupermarketSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if data.validated_data["community"].street_office_id != office.pk:
            raise ValidationError({"community": _("该社区不属于这个街道")})
        if CreditSupermarket.objects.filter(
            community=data.validated_data["community"], name=data.validated_data["name"]
        ).exists():
            raise ValidationError({"name": _("该社区已有同名的积分超市")})
        shop = data.save()
        return Response(SupermarketSerializer(shop).data, status=status.HTTP_201_CREATED)
    qs = CreditSupermarket.objects.filter(community__street_office=office).order_by(
        "community", "name"
    )
    return Response(SupermarketSerializer(qs, many=True).data)


@_schema("登记一次积分兑换（余额不足时 409）", request=RedemptionIn)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def redeem(request: Request) -> Response:
    data = RedemptionIn(data=request.data)
    data.is_valid(raise_exception=True)
    s = Steward.objects.filter(pk=data.validated_data["steward"]).first()
    if s is None or not _credit_can(request.user, s.street_office_id, REDEEM_ROLES):
        raise NotFound(_("没有这位管家，或您无权为其登记兑换（需为本街道规划员或社区工作人员）"))
    shop = CreditSupermarket.objects.filter(
        pk=data.validated_data["supermarket"], community__street_office_id=s.street_office_id
    ).first()
    if shop is None:
        raise ValidationError({"supermarket": _("该积分超市不存在或不属于这位管家所在的街道")})
    try:
        r = ledger.redeem(
            s, shop, data.validated_data["items"], data.validated_data["points"], request.user
        )
    except ledger.InsufficientPoints as exc:
        return Response(
            {"detail": str(exc), "balance": exc.balance, "asked": exc.asked},
            status=status.HTTP_409_CONFLICT,
        )
    except ValueError as exc:
        raise ValidationError({"detail": str(exc)}) from exc
    return Response(
        {"redemption": r.pk, "points": r.points, "balance": ledger.balance_of(s)},
        status=status.HTTP_201_CREATED,
    )


@_schema("积分更正（新增一条更正记录）", request=CorrectionIn)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def correct(request: Request) -> Response:
    data = CorrectionIn(data=request.data)
    data.is_valid(raise_exception=True)
    s = Steward.objects.filter(pk=data.validated_data["steward"]).first()
    if s is None or not _credit_can(request.user, s.street_office_id, CONFIRM_ROLES):
        raise NotFound(_("没有这位管家，或您无权更正其积分（需为本街道规划员）"))
    try:
        e = ledger.correct(
            s, data.validated_data["amount"], data.validated_data["note"], request.user
        )
    except ledger.InsufficientPoints as exc:
        return Response(
            {"detail": str(exc), "balance": exc.balance}, status=status.HTTP_409_CONFLICT
        )
    except ValueError as exc:
        raise ValidationError({"detail": str(exc)}) from exc
    return Response({"entry": EntrySerializer(e).data, "balance": ledger.balance_of(s)}, status=201)


@_schema(
    "季度考核结果与计分公式（管家只看到本人）",
    params=(
        OpenApiParameter("office", str),
        OpenApiParameter("quarter", str),
        OpenApiParameter("community", int),
    ),
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def assessments(request: Request) -> Response:
    """Staff: the office's quarter. A steward: only their own rows (no ?office needed)."""
    if request.query_params.get("office"):
        office = _office(request, BOARD_ROLES)
        qs = Assessment.objects.filter(street_office=office, quarter=_quarter(request))
        if (community := query_int(request.query_params, "community")) is not None:
            qs = qs.filter(community_id=community)
        params = settings_for(office)[1]
    else:
        s = _credit_own_steward(request.user)
        if s is None:
            raise ValidationError(
                {"office": _("请用 ?office=街道代码&quarter=2026Q3 指定街道和季度")}
            )
        qs = Assessment.objects.filter(steward=s)
        params = settings_for(s.street_office)[1]
    qs = qs.select_related("steward", "community").order_by(
        "community__code", "-score", "steward__name"
    )
    return Response(
        {
            "formula": {"version": params.formula_version, **params.as_dict()},
            "results": AssessmentSerializer(qs, many=True).data,
        }
    )


@_schema("规划员确认考核等级；不称职则发起补选任务", request=None)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def confirm(request: Request, assessment_id: int) -> Response:
    a = get_object_or_404(Assessment, pk=assessment_id)
    if not _credit_can(request.user, a.street_office_id, CONFIRM_ROLES):
        if _credit_can(request.user, a.street_office_id, BOARD_ROLES):
            raise PermissionDenied(_("只有本街道的规划员可以确认考核等级"))
        raise NotFound(_("没有这条考核记录"))
    if a.confirmed_at is not None:
        return Response(
            {"detail": _("该考核已确认，不能重复确认"), "confirmed_at": a.confirmed_at}, status=409
        )
    try:
        task = confirm_assessment(a, request.user)
    except ValueError as exc:
        raise ValidationError({"detail": str(exc)}) from exc
    a.refresh_from_db()
    return Response(
        {
            "assessment": AssessmentSerializer(a).data,
            "replacement_task": None if task is None else {"id": task.pk, "due": task.due},
        }
    )


@_schema("补选任务（不称职一个月内重新招募）", params=(OFFICE,))
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def replacement_tasks(request: Request) -> Response:
    office = _office(request, BOARD_ROLES)
    qs = ReplacementTask.objects.filter(street_office=office).select_related("community", "steward")
    today = timezone.localdate()
    return Response(
        [
            {
                "id": t.pk,
                "community": t.community.name,
                "steward": t.steward.name,
                "opened_at": t.opened_at,
                "due": t.due,
                "closed_at": t.closed_at,
                "overdue": t.closed_at is None and t.due < today,
                "note": t.note,
            }
            for t in qs
        ]
    )


@_schema("补选完成：关闭补选任务（规划员）", request=OpenApiTypes.OBJECT)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def close_replacement_task(request: Request, task_id: int) -> Response:
    task = ReplacementTask.objects.filter(pk=task_id).first()
    if task is None or not _credit_can(request.user, task.street_office_id, BOARD_ROLES):
        raise NotFound(_("没有这个补选任务"))
    if not _credit_can(request.user, task.street_office_id, CONFIRM_ROLES):
        raise PermissionDenied(_("只有本街道的规划员可以关闭补选任务"))
    note = str(request.data.get("note", "")).strip()
    # Conditional UPDATE: closing twice (two planners at once) closes it once.
    closed = ReplacementTask.objects.filter(pk=task.pk, closed_at__isnull=True).update(
        closed_at=timezone.now(), note=(note or task.note)[:300]
    )
    if not closed:
        return Response({"detail": _("该补选任务已关闭")}, status=status.HTTP_409_CONFLICT)
    task.refresh_from_db()
    return Response({"id": task.pk, "closed_at": task.closed_at, "note": task.note})


@_schema(
    "积分规则与考核权重（含默认值）；PUT 由规划员修改",
    params=(OFFICE,),
    request=RulesIn,
)
@api_view(["GET", "PUT"])
@permission_classes([IsAuthenticated])
def rules(request: Request) -> Response:
    """The office's points rules and assessment weights, defaults filled in; PUT changes them."""
    office = _office(request, BOARD_ROLES)
    if request.method == "PUT":
        if not _credit_can(request.user, office.pk, CONFIRM_ROLES):
            raise PermissionDenied(_("只有本街道的规划员可以修改积分规则和考核权重"))
        body = RulesIn(data=request.data)
        body.is_valid(raise_exception=True)
        # Keep the values as sent (an int stays an int in the stored JSON).
        points = {
            k: request.data["points_rules"][k] for k in body.validated_data.get("points_rules", {})
        }
        params = {
            k: request.data["assessment_params"][k]
            for k in body.validated_data.get("assessment_params", {})
        }
        try:
            PointsRules.from_config(points)
            AssessmentParams.from_config(params)
        except (ValueError, TypeError) as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        CreditSettings.objects.update_or_create(
            street_office=office, defaults={"points_rules": points, "assessment_params": params}
        )
    p, a = settings_for(office)
    return Response(
        {
            "points_rules": p.as_dict(),
            "assessment_params": a.as_dict(),
            "formula_version": a.formula_version,
        }
    )


@_schema("导出季度考核 Excel", params=(OFFICE, QUARTER), response=OpenApiTypes.BINARY)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def export_xlsx(request: Request) -> HttpResponse:
    office = _office(request, BOARD_ROLES)
    quarter = _quarter(request)
    return xlsx_download(quarter_workbook(office, quarter), f"credits-{office.code}-{quarter}")
