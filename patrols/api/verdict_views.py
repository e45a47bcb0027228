"""Verdict API: list/filter stored pair-day verdicts; recompute one pair-day on demand."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from geo.access import supervised_office
from patrols.api.verdict_serializers import EvaluateSerializer, PairDayVerdictSerializer
from patrols.compliance import ComplianceFilter
from patrols.evaluation import evaluate_pair_day
from stewards.models import Pair


@extend_schema(
    parameters=[
        OpenApiParameter("office", str),
        OpenApiParameter("from", OpenApiTypes.DATE),
        OpenApiParameter("to", OpenApiTypes.DATE),
        OpenApiParameter("community", int),
        OpenApiParameter("grid", int),
        OpenApiParameter("pair", int),
        OpenApiParameter("verdict", str, enum=["compliant", "noncompliant"]),
    ]
)
class VerdictList(generics.ListAPIView):
    """每组每天的巡查判定（默认最近 7 天），含分钟数、走过比例和未达标原因。"""

    serializer_class = PairDayVerdictSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        office = supervised_office(self.request)
        return ComplianceFilter.from_query(self.request.query_params).apply(office.id)


class EvaluatePairDay(APIView):
    """重新计算某组某天的判定（例如补传轨迹之后）。"""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=EvaluateSerializer, responses={200: PairDayVerdictSerializer})
    def post(self, request, pair_id: int):
        office = supervised_office(request)
        pair = get_object_or_404(Pair, id=pair_id, street_office=office)
        body = EvaluateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        verdict = evaluate_pair_day(pair, body.validated_data["day"])
        return Response(PairDayVerdictSerializer(verdict).data)
