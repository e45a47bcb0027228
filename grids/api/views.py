"""Assignment API: segments with their pair, assign/unassign/undo, suggest, coverage, public boards."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Subquery
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from geo.api.pagination import GeoJsonLimitOffsetPagination
from geo.api.params import query_date, query_int
from geo.local_days import local_today
from geo.models import Community, Grid, Segment, StreetOffice
from geo.tenancy import (
    IsOfficeMember,
    TenantScopedViewSet,
    offices_for,
    require_write,
    scope_queryset,
)
from grids import assignment, boards, planning, suggest
from grids.api.serializers import (
    AssignedSegmentSerializer,
    AssignmentChangeSerializer,
    AssignSerializer,
    ClaimSerializer,
    PlanningCommunitySerializer,
    SuggestSerializer,
    UnassignSerializer,
)
from grids.models import AssignmentChange, Claim
from stewards.models import Pair


def _conflict(exc: assignment.DoubleClaim) -> Response:
    return Response(
        {"detail": str(exc), "segments": exc.segment_ids}, status=status.HTTP_409_CONFLICT
    )


def _day(request):
    return query_date(request.query_params, "day") or local_today()


class CommunityViewSet(TenantScopedViewSet, viewsets.ReadOnlyModelViewSet):
    serializer_class = PlanningCommunitySerializer
    queryset = Community.objects.order_by("name")
    permission_classes = [IsOfficeMember]

    @extend_schema(request=SuggestSerializer, responses={200: dict, 409: dict})
    @action(detail=True, methods=["post"])
    def suggest(self, request, pk=None):
        """Propose a balanced, contiguous split of the unassigned segments among the current pairs."""
        community = self.get_object()
        require_write(request.user, community.street_office_id)
        body = SuggestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        proposal = suggest.suggest(community)
        result = {
            "proposal": [{"pair": k, "segments": v} for k, v in proposal.items()],
            "change": None,
        }
        if body.validated_data["apply"] and proposal:
            try:
                change = suggest.apply_suggestion(community, proposal, user=request.user)
            except assignment.DoubleClaim as exc:
                return _conflict(exc)
            result["change"] = change.pk
        return Response(result)


@extend_schema(parameters=[OpenApiParameter("community", int), OpenApiParameter("day", str)])
class SegmentViewSet(TenantScopedViewSet, viewsets.ReadOnlyModelViewSet):
    """Segments as GeoJSON with the pair holding each on ``day`` (default today); ?community= required for maps."""

    serializer_class = AssignedSegmentSerializer
    permission_classes = [IsOfficeMember]
    pagination_class = GeoJsonLimitOffsetPagination

    def get_queryset(self):
        day = _day(self.request)
        holder = Claim.objects.on(day).filter(segment_id=OuterRef("pk")).values("pair_id")[:1]
        qs = scope_queryset(Segment.objects.valid_on(day), self.request.user).annotate(
            current_pair=Subquery(holder)
        )
        params = self.request.query_params
        if (community := query_int(params, "community")) is not None:
            qs = qs.filter(community_id=community)
        if (grid := query_int(params, "grid")) is not None:
            qs = qs.filter(grid_id=grid)
        return qs.order_by("id")


class ClaimViewSet(TenantScopedViewSet, viewsets.ReadOnlyModelViewSet):
    """Claim history; ?pair=, ?segment=, ?day= (only claims in force that day)."""

    serializer_class = ClaimSerializer
    queryset = Claim.objects.order_by("-id")
    permission_classes = [IsOfficeMember]

    def get_queryset(self):
        qs = super().get_queryset()
        for key in ("pair", "segment"):
            if (value := query_int(self.request.query_params, key)) is not None:
                qs = qs.filter(**{key: value})
        if self.request.query_params.get("day"):
            qs = qs.on(_day(self.request))
        return qs


class AssignmentChangeViewSet(
    TenantScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Planner batches (newest first); POST …/undo/ reverts one."""

    serializer_class = AssignmentChangeSerializer
    permission_classes = [IsOfficeMember]
    queryset = AssignmentChange.objects.annotate(
        claims_created=Count("claims", distinct=True),
        claims_touched=Count("events", distinct=True),
        undone=Exists(AssignmentChange.objects.filter(reverts=OuterRef("pk"))),
    ).select_related("created_by")

    @extend_schema(
        request=None,
        responses={
            201: inline_serializer(
                "UndoResult",
                {"change": serializers.IntegerField(), "reverts": serializers.IntegerField()},
            ),
            409: dict,
        },
    )
    @action(detail=True, methods=["post"])
    def undo(self, request, pk=None):
        change = self.get_object()
        require_write(request.user, change.street_office_id)
        try:
            undone = assignment.undo(change, user=request.user)
        except assignment.DoubleClaim as exc:
            return _conflict(exc)
        except assignment.AssignmentError as exc:
            raise ValidationError({"detail": [str(exc)]}) from exc
        return Response({"change": undone.pk, "reverts": change.pk}, status=status.HTTP_201_CREATED)


@extend_schema(request=AssignSerializer, responses={201: dict, 400: dict, 404: dict, 409: dict})
@api_view(["POST"])
@permission_classes([IsOfficeMember])
def assign_view(request):
    """Assign segments to a pair (认领). 409 lists segments held by another pair unless ``replace``."""
    body = AssignSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    d = body.validated_data
    pair = get_object_or_404(scope_queryset(Pair.objects.all(), request.user), pk=d["pair"])
    require_write(request.user, pair.street_office_id)
    try:
        change = assignment.assign(
            pair, d["segments"], user=request.user, valid_from=d.get("valid_from"),
            valid_to=d.get("valid_to"), replace=d["replace"], note=d.get("note", ""),
        )  # fmt: skip
    except assignment.DoubleClaim as exc:
        return _conflict(exc)
    except assignment.AssignmentError as exc:
        raise ValidationError({"detail": [str(exc)]}) from exc
    return Response(
        {
            "change": change.pk,
            "created": change.claims.count(),
            "ended": change.events.filter(action="ended").count(),
        },
        status=status.HTTP_201_CREATED,
    )


@extend_schema(request=UnassignSerializer, responses={201: dict})
@api_view(["POST"])
@permission_classes([IsOfficeMember])
def unassign_view(request):
    """End the claims on these segments from ``on`` (default today)."""
    body = UnassignSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    d = body.validated_data
    office = get_object_or_404(
        StreetOffice.objects.filter(pk__in=offices_for(request.user)), pk=d["street_office"]
    )
    require_write(request.user, office.pk)
    change = assignment.unassign(
        d["segments"], street_office_id=office.pk, user=request.user, on=d.get("on")
    )
    return Response(
        {"change": change.pk, "ended": change.events.count()}, status=status.HTTP_201_CREATED
    )


@extend_schema(parameters=[OpenApiParameter("day", str)], responses={200: dict})
@api_view(["GET"])
@permission_classes([IsOfficeMember])
def coverage_view(request, street_office: int):
    """Planning coverage of a street office: per community and grid, overlong and fragmented pairs."""
    office = get_object_or_404(
        StreetOffice.objects.filter(pk__in=offices_for(request.user)), pk=street_office
    )
    return Response(planning.coverage(office.pk, _day(request)))


@extend_schema(
    parameters=[OpenApiParameter("grid", int), OpenApiParameter("day", str)], responses={200: dict}
)
@api_view(["GET"])
@permission_classes([permissions.AllowAny])
def board_view(request, community: int):
    """Public 责任分布牌 data: alleys by pair, stewards' names and phones (as the office chooses), grids."""
    comm = get_object_or_404(Community, pk=community)
    grid = None
    if (value := query_int(request.query_params, "grid")) is not None:
        grid = get_object_or_404(Grid, pk=value, community=comm)
    return Response(boards.board_data(comm, grid, _day(request)))
