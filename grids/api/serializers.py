from __future__ import annotations

from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from geo.models import Community, Segment
from grids.models import AssignmentChange, Claim


class PlanningCommunitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Community
        fields = ["id", "name", "code", "street_office"]


class AssignedSegmentSerializer(GeoFeatureModelSerializer):
    """A segment with the pair holding it on the requested day (annotated ``current_pair``)."""

    geom = GeometryField(precision=6)
    pair = serializers.IntegerField(source="current_pair", read_only=True, allow_null=True)

    class Meta:
        model = Segment
        geo_field = "geom"
        fields = ["id", "name", "road_class", "length_m", "community", "grid", "pair"]


class ClaimSerializer(serializers.ModelSerializer):
    class Meta:
        model = Claim
        fields = ["id", "pair", "segment", "valid_from", "valid_to", "change", "created_at"]


class AssignmentChangeSerializer(serializers.ModelSerializer):
    created_by = serializers.StringRelatedField(allow_null=True)
    claims_created = serializers.IntegerField(read_only=True)
    claims_touched = serializers.IntegerField(read_only=True)
    undone = serializers.BooleanField(read_only=True)

    class Meta:
        model = AssignmentChange
        fields = [
            "id", "kind", "note", "created_by", "created_at", "reverts", "claims_created", "claims_touched",
            "undone",
        ]  # fmt: skip


class AssignSerializer(serializers.Serializer):
    pair = serializers.IntegerField()
    segments = serializers.ListField(
        child=serializers.IntegerField(), allow_empty=False, max_length=5000
    )
    valid_from = serializers.DateField(required=False, help_text="默认今天")
    valid_to = serializers.DateField(
        required=False, allow_null=True, help_text="不含当日；空表示长期"
    )
    replace = serializers.BooleanField(
        default=False, help_text="已被其他组认领的街巷段是否改派给本组"
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class UnassignSerializer(serializers.Serializer):
    street_office = serializers.IntegerField()
    segments = serializers.ListField(
        child=serializers.IntegerField(), allow_empty=False, max_length=5000
    )
    on = serializers.DateField(required=False, help_text="从这天起不再认领，默认今天")


class SuggestSerializer(serializers.Serializer):
    apply = serializers.BooleanField(default=False, help_text="true：直接保存为一次可撤销的操作")
