from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from geo.models import Community, Grid, Segment, StreetOffice


class SegmentSerializer(GeoFeatureModelSerializer):
    geom = GeometryField(precision=6)
    length_m = serializers.FloatField()

    class Meta:
        model = Segment
        geo_field = "geom"
        fields = [
            "id",
            "name",
            "road_class",
            "length_m",
            "source",
            "source_id",
            "street_office",
            "community",
            "grid",
            "valid_from",
            "retired_on",
        ]


class StreetOfficeSerializer(GeoFeatureModelSerializer):
    geom = GeometryField(precision=6)

    class Meta:
        model = StreetOffice
        geo_field = "geom"
        fields = ["id", "code", "name"]


class CommunitySerializer(GeoFeatureModelSerializer):
    geom = GeometryField(precision=6)

    class Meta:
        model = Community
        geo_field = "geom"
        fields = ["id", "code", "name", "street_office"]


class GridSerializer(GeoFeatureModelSerializer):
    geom = GeometryField(precision=6)

    class Meta:
        model = Grid
        geo_field = "geom"
        fields = ["id", "code", "name", "community", "street_office"]
