"""Pair workflows that touch claims, mounted under /api/patrols/pairs/ beside the registry API."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from geo.tenancy import require_write, scope_queryset
from grids import assignment
from stewards.api.serializers import PairSerializer
from stewards.models import Pair


class DissolvePair(APIView):
    """Dissolve the pair today and end its claims, in one transaction (the claims' batch can be
    undone; the pair is re-formed by forming it again)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=None, responses=PairSerializer, operation_id="patrols_pairs_dissolve_create"
    )
    def post(self, request: Request, pk: int) -> Response:
        pair = get_object_or_404(scope_queryset(Pair.objects.all(), request.user), pk=pk)
        require_write(request.user, pair.street_office_id)
        assignment.dissolve_pair(pair, user=request.user)
        return Response(PairSerializer(pair, context={"request": request}).data)
