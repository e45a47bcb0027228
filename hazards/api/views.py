"""/api/hazards/: reports, the loop's transitions, duplicates, overdue, KPIs, hotspots, categories."""

from __future__ import annotations

import json
import math

from django.contrib.gis.geos import Point
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, permissions, status, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from geo.api.pagination import GeoJsonLimitOffsetPagination
from geo.api.params import lat_lng_point, query_int
from geo.api.parsers import ObjectJSONParser
from geo.api.throttles import AnonymousWriteThrottle
from geo.models import Membership, StreetOffice
from hazards import closed_loop as hazards
from hazards import tasks
from hazards.api import serializers as ser
from hazards.hotspots import hotspot_answer
from hazards.kpis import DEFINITIONS, LEVELS, kpis
from hazards.models import HazardCategory, HazardReport
from hazards.photos import PhotoRejected, read_upload
from jobs.queue import enqueue_once
from jobs.status import follow_in_session, job_state

R = Membership.Role


def _office_param(request: Request) -> StreetOffice:
    ids = hazards._hazard_office_ids(request.user)
    raw = query_int(request.query_params, "street_office")
    if raw is not None:
        if raw not in ids:
            raise PermissionDenied(_("您不属于该街道。"))
        return StreetOffice.objects.get(pk=raw)
    if not ids:
        raise PermissionDenied(_("您还没有任何街道的角色。"))
    return StreetOffice.objects.filter(pk__in=ids).order_by("id").first()


def _dt(request: Request, name: str):
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        value = parse_datetime(raw) or parse_datetime(raw + "T00:00:00+08:00")
    except ValueError:  # well-formed but impossible: 2026-02-30
        value = None
    if value is None:
        raise ValidationError({name: _("日期格式应为 2026-11-01 或 ISO 8601 时间。")})
    return value


class ReportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    parser_classes = [MultiPartParser, FormParser, ObjectJSONParser]
    pagination_class = GeoJsonLimitOffsetPagination

    def get_permissions(self):
        # Anyone may report (residents, anonymously); everything else needs a role in the office.
        if self.action == "create":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    def get_throttles(self):
        return [AnonymousWriteThrottle()] if self.action == "create" else []

    def get_queryset(self):
        qs = hazards.visible_reports(self.request.user).select_related("category")
        qs = qs.prefetch_related("photos")
        p = self.request.query_params
        if p.get("status"):
            qs = qs.filter(status__in=p["status"].split(","))
        if p.get("category"):
            qs = qs.filter(category__code=p["category"])
        for f in ("street_office", "community", "grid"):
            if (value := query_int(p, f)) is not None:
                qs = qs.filter(**{f"{f}_id": value})
        return qs

    def get_serializer_class(self):
        if self.action == "retrieve":
            return ser.ReportDetailSerializer
        if self.action == "create":
            return ser.ReportCreateSerializer
        return ser.ReportSerializer

    def create(self, request: Request, *args, **kwargs) -> Response:
        data = ser.ReportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        point = Point(v["lng"], v["lat"], srid=4326)
        office = hazards.locate(point).street_office
        if office is None:
            raise ValidationError({"lat": _("该位置不在任何街道范围内，请把图钉拖到正确位置。")})
        category = HazardCategory.objects.filter(
            street_office=office, code=v["category"], active=True
        ).first()
        if category is None:
            raise ValidationError({"category": _("本街道没有这个类别：%s") % v["category"]})
        user = request.user
        kind = v.get("reporter_kind")
        filed_by = None
        reporter = user if user.is_authenticated else None
        is_staff = user.is_authenticated and hazards.user_has_office_role(
            user, office.id, {R.GRID_WORKER, R.SUPERVISOR}
        )
        if kind == HazardReport.ReporterKind.RESIDENT and is_staff:
            filed_by, reporter = user, None  # 网格报单: filed on a resident's behalf
        elif not user.is_authenticated:
            # A resident who leaves neither name nor phone is an anonymous reporter.
            named = v.get("reporter_name") or v.get("reporter_phone")
            kind = HazardReport.ReporterKind.RESIDENT if named else "anonymous"
        elif kind is None:
            kind = (
                HazardReport.ReporterKind.STEWARD
                if hazards.user_has_office_role(user, office.id, {R.STEWARD})
                else HazardReport.ReporterKind.RESIDENT
            )
        files = request.FILES.getlist("photos")
        try:
            photos = [read_upload(f) for f in files]
            report = hazards.create_report(
                category=category,
                point=point,
                description=v.get("description", ""),
                reporter_kind=kind,
                reporter=reporter,
                reporter_name=v.get("reporter_name", ""),
                reporter_phone=v.get("reporter_phone", ""),
                filed_by=filed_by,
                photos=photos,
            )
        except PhotoRejected as e:
            raise ValidationError({"photos": str(e)}) from None
        except hazards.TransitionInvalid as e:
            raise ValidationError({"detail": str(e)}) from None
        out = ser.ReportDetailSerializer(report, context={"request": request}).data
        return Response(out, status=status.HTTP_201_CREATED)

    def _act(self, fn, *args, **kwargs) -> Response:
        try:
            report = fn(*args, **kwargs)
        except hazards.TransitionDenied as e:
            raise PermissionDenied(str(e)) from None
        except (hazards.TransitionInvalid, PhotoRejected) as e:
            raise ValidationError({"detail": str(e)}) from None
        return Response(ser.ReportDetailSerializer(report, context={"request": self.request}).data)

    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk=None) -> Response:
        report = self.get_object()
        s = ser.TransitionSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        v = s.validated_data
        dup = None
        if v.get("duplicate_of"):
            dup = get_object_or_404(self.get_queryset(), pk=v["duplicate_of"])
        photo = request.FILES.get("after_photo")
        try:
            after = read_upload(photo) if photo else None
        except PhotoRejected as e:
            raise ValidationError({"after_photo": str(e)}) from None
        return self._act(
            hazards.transition,
            report,
            v["to"],
            request.user,
            note=v.get("note", ""),
            duplicate_of=dup,
            after_photo=after,
            new_deadline=v.get("new_deadline"),
            department=v.get("department"),
        )

    @action(detail=True, methods=["post"])
    def rate(self, request: Request, pk=None) -> Response:
        stars = request.data.get("stars")
        if not (str(stars).isascii() and str(stars).isdigit()):
            raise ValidationError({"stars": _("评分须为 1 到 5 的整数。")})
        return self._act(
            hazards.rate,
            self.get_object(),
            request.user,
            int(stars),
            request.data.get("comment", ""),
        )

    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk=None) -> Response:
        point = lat_lng_point(request.data, _("请提供新的经纬度 lat、lng。"))
        return self._act(hazards.move_pin, self.get_object(), point, request.user)

    @action(detail=True, methods=["post"])
    def photos(self, request: Request, pk=None) -> Response:
        report = self.get_object()
        if not hazards._hazard_roles(request.user, report):
            raise PermissionDenied(_("您不能为这条上报添加照片。"))
        f = request.FILES.get("photo")
        if f is None:
            raise ValidationError({"photo": _("请选择一张照片。")})
        try:
            hazards.add_photo(report, read_upload(f), user=request.user)
        except PhotoRejected as e:
            raise ValidationError({"photo": str(e)}) from None
        return Response(ser.ReportDetailSerializer(report, context={"request": request}).data)

    @extend_schema(responses=ser.ReportSerializer(many=True))
    @action(detail=False, methods=["get"])
    def overdue(self, request: Request) -> Response:
        page = self.paginate_queryset(hazards.overdue(self.get_queryset()))
        data = ser.ReportSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)


@extend_schema(
    parameters=[
        OpenApiParameter("lat", float),
        OpenApiParameter("lng", float),
        OpenApiParameter("category", str),
    ],
    responses=OpenApiTypes.OBJECT,
)
@api_view(["GET"])
@permission_classes([permissions.AllowAny])
def duplicates(request: Request) -> Response:
    """Open reports of the same category near a point, to show before saving a new one."""
    point = lat_lng_point(request.query_params, _("请提供 lat、lng。"))
    office = hazards.locate(point).street_office
    cat = (
        HazardCategory.objects.filter(
            street_office=office, code=request.query_params.get("category")
        ).first()
        if office
        else None
    )
    if cat is None:
        return Response({"radius_m": None, "results": []})
    rows = hazards.duplicate_candidates(cat, point)[:10]
    return Response(
        {
            "radius_m": cat.duplicate_radius_m,
            "results": [
                {
                    "id": r.pk,
                    "distance_m": round(r.distance.m, 1),
                    "status": r.get_status_display(),
                    "description": r.description[:100],
                    "created_at": r.created_at,
                }
                for r in rows
            ],
        }
    )


HotspotJobSerializer = inline_serializer(
    "HotspotJob",
    {
        "job": drf_serializers.IntegerField(),
        "state": drf_serializers.ChoiceField(["queued", "running", "done", "failed"]),
        "status_url": drf_serializers.CharField(help_text="/api/jobs/<id>/"),
    },
)


@extend_schema(
    parameters=[
        OpenApiParameter("street_office", int),
        OpenApiParameter("level", str),
        OpenApiParameter("start", str),
        OpenApiParameter("end", str),
    ],
    responses=OpenApiTypes.OBJECT,
)
@api_view(["GET"])
def kpi_view(request: Request) -> Response:
    if not request.user.is_authenticated:
        raise PermissionDenied(_("请先登录。"))
    office = _office_param(request)
    level = request.query_params.get("level", "street_office")
    if level not in LEVELS:
        raise ValidationError({"level": _("level 须为 street_office、community 或 grid。")})
    qs = HazardReport.objects.filter(street_office=office)
    rows = kpis(qs, level=level, start=_dt(request, "start"), end=_dt(request, "end"))
    return Response({"definitions": {k: str(v) for k, v in DEFINITIONS.items()}, "rows": rows})


def hotspot_body(request, office: StreetOffice) -> tuple[str, int]:
    """The hotspot answer as JSON text and its status (cached answers go out unparsed)."""
    p = request.GET if hasattr(request, "GET") else request.query_params
    cat = None
    if p.get("category"):
        cat = HazardCategory.objects.filter(street_office=office, code=p["category"]).first()
    try:
        cell = min(max(float(p.get("cell_m", 150)), 25.0), 2000.0)
        alpha = min(max(float(p.get("alpha", 0.05)), 0.001), 0.2)
        if not (math.isfinite(cell) and math.isfinite(alpha)):
            raise ValueError
    except ValueError:
        return json.dumps({"detail": _("cell_m 与 alpha 须为数字。")}), 400
    try:
        start = parse_datetime(p["start"] + "T00:00:00+08:00") if p.get("start") else None
        end = parse_datetime(p["end"] + "T00:00:00+08:00") if p.get("end") else None
    except ValueError:  # well-formed but impossible: 2026-02-30
        return json.dumps({"detail": _("日期格式应为 2026-11-01 或 ISO 8601 时间。")}), 400
    args = {
        "office": office.id, "category": cat.id if cat else None,
        "start": start.isoformat() if start else None, "end": end.isoformat() if end else None,
        "cell_m": cell, "alpha": alpha, "language": get_language(),
    }  # fmt: skip
    return hotspot_answer(
        office,
        category_id=cat.id if cat else None,
        start=start,
        end=end,
        cell_m=cell,
        alpha=alpha,
        run_later=lambda: _hotspot_job(request, args),
    )


def _hotspot_job(request, args: dict) -> dict:
    """Enqueue the run (or join the one already waiting for the same answer) for this person."""
    lock = "hotspot:" + json.dumps(args, sort_keys=True)
    with transaction.atomic():
        job_id = enqueue_once(tasks.compute_hotspots, lock, requested_by=request.user, **args)
    follow_in_session(request, job_id)
    state = job_state(job_id) or {"state": "queued"}
    return {
        "job": job_id,
        "state": state["state"],
        "status_url": reverse("job-status", args=[job_id]),
    }


def hotspot_payload(request, office: StreetOffice) -> tuple[dict, int]:
    """The same answer as a dict, for the map page."""
    body, code = hotspot_body(request, office)
    return json.loads(body), code


HotspotJobSerializer = inline_serializer(
    "HotspotJob",
    {
        "job": drf_serializers.IntegerField(),
        "state": drf_serializers.ChoiceField(["queued", "running", "done", "failed"]),
        "status_url": drf_serializers.CharField(help_text="/api/jobs/<id>/"),
    },
)


@extend_schema(
    parameters=[
        OpenApiParameter("street_office", int),
        OpenApiParameter("category", str),
        OpenApiParameter("start", str),
        OpenApiParameter("end", str),
        OpenApiParameter("cell_m", float),
        OpenApiParameter("alpha", float),
    ],
    # 202: a large uncached run became a job (follow status_url; when done, ask again: cached).
    # 422: too few reports in the office and period for the statistic to mean anything.
    responses={200: OpenApiTypes.OBJECT, 202: HotspotJobSerializer, 422: OpenApiTypes.OBJECT},
)
@api_view(["GET"])
def hotspot_view(request: Request) -> Response:
    if not request.user.is_authenticated:
        raise PermissionDenied(_("请先登录。"))
    office = _office_param(request)
    body, code = hotspot_body(request, office)
    return HttpResponse(body, status=code, content_type="application/json")


class CategoryViewSet(mixins.ListModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """The taxonomy per street office; planners and supervisors may edit it."""

    serializer_class = ser.CategorySerializer
    pagination_class = None

    def get_queryset(self):
        qs = HazardCategory.objects.all()
        office = query_int(self.request.query_params, "street_office")
        if office is not None:
            qs = qs.filter(street_office_id=office)
        return qs

    def get_permissions(self):
        if self.action == "list":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    def perform_update(self, serializer):
        cat = serializer.instance
        if not hazards.user_has_office_role(
            self.request.user, cat.street_office_id, {R.PLANNER, R.SUPERVISOR}
        ):
            raise PermissionDenied(_("只有街道规划员或督查员可以修改类别。"))
        serializer.save()
