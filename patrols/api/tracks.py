"""Track upload (multipart, for phone apps), list and detail."""

from __future__ import annotations

import io
from datetime import date, timedelta

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_gis.fields import GeometryField

from geo.api.pagination import BoundedLimitOffsetPagination
from geo.api.params import query_int
from geo.local_days import local_day_bounds
from patrols.models import Track, TrackUpload
from patrols.tasks import enqueue_recheck
from patrols.tracks.access import can_upload_for, visible_tracks, visible_uploads
from patrols.tracks.cleaning import describe_cleaning
from patrols.tracks.formats import parse_column_mapping
from patrols.tracks.formats.fixes_original import MAGIC, fixes_to_geojson, is_fixes
from patrols.tracks.ingest import IngestResult, TrackRejected, ingest_file, max_upload_bytes
from stewards.models import Steward


class TrackSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Track
        fields = [
            "id",
            "steward",
            "upload",
            "started_at",
            "ended_at",
            "point_count",
            "length_m",
            "source_crs",
            "flags",
        ]


class TrackDetailSerializer(TrackSummarySerializer):
    geom = GeometryField(precision=7)
    times = serializers.ListField(child=serializers.FloatField())

    class Meta(TrackSummarySerializer.Meta):
        fields = [*TrackSummarySerializer.Meta.fields, "geom", "times"]


class UploadSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrackUpload
        fields = [
            "id",
            "steward",
            "original_filename",
            "sha256",
            "size_bytes",
            "format",
            "source_crs",
            "cleaning_report",
            "created_at",
        ]


class UploadRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="GPX / KML / GeoJSON / CSV / GeoLife PLT")
    steward = serializers.IntegerField(required=False, help_text="默认：当前用户本人")
    crs = serializers.ChoiceField(
        choices=["wgs84", "gcj02", "bd09"], required=False, default="wgs84"
    )
    format = serializers.CharField(required=False, allow_blank=True)
    columns = serializers.CharField(
        required=False, allow_blank=True, help_text="CSV 列映射，如 lat=纬度,lon=经度,time=时间"
    )


def _error(message: str, http_status: int, code: str) -> Response:
    return Response({"detail": message, "code": code}, status=http_status)


def job_link(job_id: int) -> dict:
    return {
        "job": job_id,
        "state": "queued",
        "status_url": reverse("job-status", kwargs={"job_id": job_id}),
    }


def upload_response(result: IngestResult) -> Response:
    tracks = Track.objects.filter(id__in=result.track_ids).order_by("started_at")
    body = {
        "duplicate": result.duplicate,
        "upload": UploadSerializer(result.upload).data,
        "tracks": TrackSummarySerializer(tracks, many=True).data,
        # The cleaning report in sentences, for apps that show it as is.
        "cleaning_summary": describe_cleaning(result.report),
    }
    if result.job_id is not None:
        # The rule is re-checked for every pair-day the upload touches by a job committed with the
        # upload (so never lost); its status URL gives the verdicts once done.
        body["recheck"] = job_link(result.job_id)
    if result.duplicate:
        body["detail"] = _("该文件已上传过（%(when)s），未重复保存。") % {
            # Local time (TIME_ZONE), as the steward saw the clock when they uploaded it.
            "when": timezone.localtime(result.upload.created_at).strftime("%Y-%m-%d %H:%M")
        }
    return Response(
        body, status=status.HTTP_200_OK if result.duplicate else status.HTTP_201_CREATED
    )


def resolve_steward(request, steward_id: int | str | None) -> Steward | Response:
    if steward_id in (None, ""):
        steward = Steward.objects.filter(user=request.user).select_related("street_office").first()
        if steward is None:
            return _error(
                _("当前账号不是小巷管家，请指定要代为上传的管家（steward）。"),
                400,
                "steward_required",
            )
    else:
        steward = Steward.objects.filter(pk=steward_id).select_related("street_office").first()
        if steward is None:
            return _error(
                _("管家编号 %(id)s 不存在。") % {"id": steward_id}, 404, "steward_not_found"
            )
    if not can_upload_for(request.user, steward):
        return _error(
            _(
                "您不能为“%(name)s”上传轨迹：只能上传本人或同组搭档的轨迹，街道工作人员可代本街道管家上传。"
            )
            % {"name": steward.name},
            403,
            "not_your_pair",
        )
    return steward


class TrackUploadView(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": UploadRequestSerializer}, responses={201: None, 200: None}
    )
    def post(self, request: Request) -> Response:
        upload = request.FILES.get("file")
        if upload is None:
            return _error(_("请选择要上传的轨迹文件（字段名 file）。"), 400, "file_required")
        if upload.size > max_upload_bytes():
            return _error(
                _("文件超过 %(mb).0f MB 的上限，请按天分开导出后再上传。")
                % {"mb": max_upload_bytes() / 1024 / 1024},
                413,
                "too_large",
            )
        steward = resolve_steward(request, request.data.get("steward"))
        if isinstance(steward, Response):
            return steward
        try:
            result = ingest_file(
                upload,
                filename=upload.name or "upload",
                steward=steward,
                uploaded_by=request.user,
                crs=request.data.get("crs") or "wgs84",
                fmt=request.data.get("format") or None,
                columns=parse_column_mapping(request.data.get("columns")),
                enqueue=lambda u: enqueue_recheck(u, requested_by=request.user),
            )
        except TrackRejected as exc:
            return _error(exc.message, exc.http_status, exc.code)
        return upload_response(result)


class TrackListView(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = BoundedLimitOffsetPagination

    @extend_schema(responses=TrackSummarySerializer(many=True))
    def get(self, request: Request) -> Response:
        qs = visible_tracks(request.user).order_by("steward_id", "started_at")
        if (sid := query_int(request.query_params, "steward")) is not None:
            qs = qs.filter(steward_id=sid)
        if day := request.query_params.get("day"):
            try:
                start, end = local_day_bounds(date.fromisoformat(day))
            except ValueError:
                return _error(_("日期格式应为 YYYY-MM-DD。"), 400, "bad_day")
            # Overlap: a track crossing midnight is listed on both local days. Tracks last at
            # most a day (CHECK track_at_most_one_day), which bounds started_at for pruning.
            qs = qs.filter(
                started_at__lt=end, ended_at__gte=start, started_at__gte=start - timedelta(days=1)
            )
        qs = qs.defer("geom", "times")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(TrackSummarySerializer(page, many=True).data)


class TrackDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=TrackDetailSerializer)
    def get(self, request: Request, pk: int) -> Response:
        track = get_object_or_404(visible_tracks(request.user), pk=pk)
        return Response(TrackDetailSerializer(track).data)


class TrackOriginalView(APIView):
    """The original uploaded file, for its steward and the office's supervisors only (the raw-track
    rule of patrols.tracks.access); MEDIA itself is not served, so this is the only way to it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: int) -> FileResponse:
        upload = get_object_or_404(visible_uploads(request.user), pk=pk)
        try:
            handle = upload.file.open("rb")
        except (FileNotFoundError, ValueError):
            raise Http404(_("原始文件已不在服务器上（可能已按保存期限删除）。")) from None
        filename = upload.original_filename or f"track-{pk}"
        head = handle.read(len(MAGIC))
        if is_fixes(head):  # a phone recording's fixes: rendered as GeoJSON now
            with handle:
                body = fixes_to_geojson(head + handle.read(), filename)
            return FileResponse(io.BytesIO(body), as_attachment=True, filename=filename)
        handle.seek(0)
        return FileResponse(handle, as_attachment=True, filename=filename)
