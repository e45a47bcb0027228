"""GET /api/jobs/<id>/: the small JSON a waiting page (session) or phone app (token) polls."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import get_language, override
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import AllowAny
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
    # A public board's visitor follows its render by session; everyone else must log in.
    permission_classes = [AllowAny]

    @extend_schema(
        responses=JobStatusSerializer,
        parameters=[OpenApiParameter("lang", str, enum=[c for c, _n in settings.LANGUAGES])],
    )
    def get(self, request: Request, job_id: int) -> Response:
        # The API's words are in the site's language; a waiting page asks for its own (?lang=en).
        lang = request.query_params.get("lang")
        with override(lang if lang in dict(settings.LANGUAGES) else get_language()):
            return self._state(request, job_id)

    def _state(self, request: Request, job_id: int) -> Response:
        allowed = may_follow(request, job_id)
        if not allowed and not request.user.is_authenticated:
            raise NotAuthenticated
        state = job_state(job_id) if allowed else None
        if state is None:
            return Response(
                {"detail": _("没有这个任务，或您无权查看。"), "code": "not_found"}, status=404
            )
        return Response(state, headers={"Cache-Control": "no-store"})
