"""GET /api/jobs/<id>/: the small JSON a waiting page (session) or phone app (token) polls."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs.status import job_state, may_follow

JobStatusSerializer = inline_serializer(
    "JobStatus",
    {
        "id": serializers.IntegerField(),
        "state": serializers.ChoiceField(["queued", "running", "done", "failed"]),
        "attempts": serializers.IntegerField(allow_null=True),
        "error": serializers.CharField(help_text="失败原因（文字）"),
        "result": serializers.JSONField(allow_null=True, help_text="任务结果，如当日判定"),
    },
)


class JobStatusView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=JobStatusSerializer)
    def get(self, request: Request, job_id: int) -> Response:
        state = job_state(job_id) if may_follow(request.user, job_id) else None
        if state is None:
            return Response(
                {"detail": _("没有这个任务，或您无权查看。"), "code": "not_found"}, status=404
            )
        return Response(state, headers={"Cache-Control": "no-store"})
