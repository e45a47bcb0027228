"""Read-only GeoJSON API of the public street network and areas (bbox filter, limit/offset pages)."""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets
from rest_framework_gis.filters import InBBoxFilter

from geo.api import serializers
from geo.api.pagination import GeoJsonLimitOffsetPagination
from geo.models import Community, Grid, Segment, StreetOffice


class _AreaViewSet(viewsets.ReadOnlyModelViewSet):
    pagination_class = GeoJsonLimitOffsetPagination
    filter_backends = [InBBoxFilter, DjangoFilterBackend]
    bbox_filter_field = "geom"
    bbox_filter_include_overlapping = True


class StreetOfficeViewSet(_AreaViewSet):
    queryset = StreetOffice.objects.all()
    serializer_class = serializers.StreetOfficeSerializer
    filterset_fields = ["code"]


class CommunityViewSet(_AreaViewSet):
    queryset = Community.objects.all()
    serializer_class = serializers.CommunitySerializer
    filterset_fields = ["street_office", "code"]


class GridViewSet(_AreaViewSet):
    queryset = Grid.objects.all()
    serializer_class = serializers.GridSerializer
    filterset_fields = ["street_office", "community", "code"]


class SegmentViewSet(_AreaViewSet):
    queryset = Segment.objects.all()
    serializer_class = serializers.SegmentSerializer
    filterset_fields = ["street_office", "community", "grid", "road_class"]

    def get_queryset(self):
        # The list is the network in use; a retired segment stays readable by id (history).
        qs = super().get_queryset()
        return qs.current() if self.action == "list" else qs
