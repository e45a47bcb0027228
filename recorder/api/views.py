"""The recorder's JSON API: open a recording, stage batches, finish, status, claim, live map."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from geo.access import supervised_office
from geo.local_days import local_today
from patrols.api.verdict_serializers import PairDayVerdictSerializer
from recorder import live
from recorder.access import can_record_for, visible_recordings
from recorder.api.batch_fast_path import with_fast_path
from recorder.compaction import compact
from recorder.models import Recording
from recorder.staging import (
    BatchRejected,
    open_recording,
    parse_fixes,
    parse_recording_id,
    recording_start,
    store_batch,
)
from recorder.upload_keys import KEYWORD, RecordingKeyAuthentication, issue_key
from stewards.models import Steward


def _error(message: str, status: int, code: str, **extra) -> Response:
    return Response({"detail": message, "code": code, **extra}, status=status)


def _rejected(exc: BatchRejected) -> Response:
    extra = {} if exc.fix is None else {"fix": exc.fix}
    return _error(exc.message, exc.status, exc.code, **extra)


def _steward_for(request: Request) -> Steward | Response:
    sid = request.data.get("steward") if isinstance(request.data, dict) else None
    qs = Steward.objects.select_related("street_office")
    steward = qs.filter(user=request.user).first() if sid in (None, "") else None
    if sid not in (None, ""):
        steward = qs.filter(pk=sid).first() if str(sid).isdigit() else None
        if steward is None:
            return _error(_("管家编号 %(id)s 不存在。") % {"id": sid}, 404, "steward_not_found")
    if steward is None:
        return _error(
            _("当前账号不是小巷管家，请指定要陪同记录的管家（steward）。"), 400, "steward_required"
        )
    if not can_record_for(request.user, steward):
        return _error(
            _("您不能为“%(name)s”记录巡查：只能记录本人的巡查，街道工作人员可陪同本街道管家记录。")
            % {"name": steward.name},
            403,
            "not_yours",
        )
    return steward


def _recording(request: Request, pk, *, owner: bool) -> Recording | Response:
    """The recording if the caller may use it: its recorder (owner=True) or may see it."""
    if owner:
        qs = Recording.objects.filter(uploaded_by_id=request.user.id).only("id", "started_at")
    else:
        qs = visible_recordings(request.user)
    rec = qs.filter(pk=pk).order_by().first()
    if rec is None:
        return _error(_("没有这条巡查记录，或您无权使用它。"), 404, "recording_not_found")
    return rec


def _summary(rec: Recording) -> dict:
    return {
        "id": str(rec.pk),
        "steward": rec.steward_id,
        "device_id": rec.device_id,
        "status": rec.status,
        "started_at": rec.started_at.isoformat(),
        "ended_at": rec.ended_at.isoformat() if rec.ended_at else None,
        "last_batch_at": rec.last_batch_at.isoformat() if rec.last_batch_at else None,
    }


class RecordingOpenView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={201: None, 200: None})
    def post(self, request: Request) -> Response:
        """Open a recording: {id (UUID made by the phone, optional), device_id, started_at}."""
        if not isinstance(request.data, dict):
            return _error(_("请求体应为 JSON 对象。"), 400, "bad_body")
        steward = _steward_for(request)
        if isinstance(steward, Response):
            return steward
        try:
            rec, created = open_recording(
                steward,
                request.user,
                recording_id=request.data.get("id"),
                device_id=request.data.get("device_id"),
                started_at=request.data.get("started_at"),
            )
        except BatchRejected as exc:
            return _rejected(exc)
        # The upload key (fresh at every open) goes to the recording's uploader only; batches
        # may then authenticate with `Authorization: Recording <key>` (recorder/upload_keys.py).
        body = _summary(rec) | {"upload_key": issue_key(rec, request.user)}
        return Response(body, status=201 if created else 200)


class BatchView(APIView):
    # The recording's upload key before the session: the phone's page also sends its cookie,
    # and a key needs no CSRF token. Token first keeps the anonymous 401 challenge as elsewhere.
    authentication_classes = [
        TokenAuthentication,
        RecordingKeyAuthentication,
        SessionAuthentication,
    ]
    permission_classes = [IsAuthenticated]

    def get_authenticate_header(self, request: Request) -> str | None:
        if request.META.get("HTTP_AUTHORIZATION", "").split(" ")[0].lower() == KEYWORD.lower():
            return RecordingKeyAuthentication().authenticate_header(request)
        return super().get_authenticate_header(request)

    @classmethod
    def as_view(cls, **initkwargs):
        # Good batches are stored without DRF's machinery (recorder/api/batch_fast_path.py);
        # everything else is answered here, as before.
        return with_fast_path(super().as_view(**initkwargs))

    @extend_schema(request=None, responses={201: None, 200: None})
    def post(self, request: Request, pk) -> Response:
        """Stage {seq, fixes:[{t, lon, lat, acc}]}; a resend is answered 200 "already stored"."""
        started = recording_start(pk, request.user.id)
        if started is None:
            return _error(_("没有这条巡查记录，或您无权使用它。"), 404, "recording_not_found")
        try:
            seq, fixes = parse_fixes(request.data, started)
        except BatchRejected as exc:
            return _rejected(exc)
        if store_batch(pk, seq, fixes):
            return Response({"stored": True, "seq": seq, "fixes": int(fixes.t.size)}, status=201)
        return Response(
            {"stored": False, "seq": seq, "detail": _("这一批已保存过，未重复保存。")}, status=200
        )


class FinishView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: None})
    def post(self, request: Request, pk) -> Response:
        """Close the recording, turn its fixes into tracks and return the day's verdicts."""
        rec = _recording(request, pk, owner=True)
        if isinstance(rec, Response):
            return rec
        result = compact(rec, close=True, answer=True)
        rec = Recording.objects.get(pk=rec.pk)
        body = live.status(rec)
        body["verdicts"] = PairDayVerdictSerializer(result.verdicts, many=True).data
        if result.rejected:
            body["detail"] = result.rejected
        return Response(body)


class StatusView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: None})
    def get(self, request: Request, pk) -> Response:
        """Elapsed, distance, the partner now, and today's minutes together / inside / needed."""
        try:
            parse_recording_id(pk)
        except BatchRejected as exc:
            return _rejected(exc)
        rec = _recording(request, pk, owner=False)
        if isinstance(rec, Response):
            return rec
        return Response(live.status(rec))


class ClaimView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: None})
    def get(self, request: Request) -> Response:
        """The claimed alleys of the caller's pair (GeoJSON), for the phone's map."""
        steward = Steward.objects.filter(user=request.user).first()
        if steward is None:
            return _error(_("当前账号不是小巷管家。"), 400, "not_a_steward")
        day = request.query_params.get("day")
        try:
            day = date.fromisoformat(day) if day else local_today()
        except ValueError:
            return _error(_("日期格式应为 YYYY-MM-DD。"), 400, "bad_day")
        return Response(live.claim_geojson(steward.id, day))


class LiveView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: None})
    def get(self, request: Request) -> Response:
        """Who is patrolling now in the supervisor's office (last position of the last minutes)."""
        try:
            office = supervised_office(request._request)
        except PermissionDenied as exc:
            return _error(str(exc), 403, "not_a_supervisor")
        try:
            minutes = float(request.query_params.get("minutes") or live.LIVE_MINUTES)
        except ValueError:
            minutes = -1
        if not 0 < minutes <= 240:
            return _error(_("minutes 应为 1 到 240 之间的数。"), 400, "bad_minutes")
        body = live.live_positions(office.id, minutes)
        body["office"] = office.code
        return Response(body)
