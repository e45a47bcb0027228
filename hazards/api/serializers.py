from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from hazards.follow import follow_code
from hazards.models import HazardCategory, HazardEvent, HazardPhoto, HazardReport


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = HazardCategory
        fields = [
            "id",
            "street_office",
            "code",
            "name",
            "description",
            "department",
            "speed",
            "deadline_hours",
            "response_hours",
            "duplicate_radius_m",
            "active",
        ]
        read_only_fields = ["id", "street_office", "code"]


class PhotoSerializer(serializers.ModelSerializer):
    class Meta:
        model = HazardPhoto
        fields = ["id", "kind", "image", "thumbnail", "taken_at", "created_at"]


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = HazardEvent
        fields = ["from_status", "to_status", "actor", "actor_role", "note", "at"]


class ReportSerializer(GeoFeatureModelSerializer):
    category_code = serializers.CharField(source="category.code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    thumbnails = serializers.SerializerMethodField()

    class Meta:
        model = HazardReport
        geo_field = "location"
        fields = [
            "id",
            "street_office",
            "community",
            "grid",
            "category",
            "category_code",
            "category_name",
            "description",
            "address",
            "status",
            "status_display",
            "reporter_kind",
            "department",
            "deadline_at",
            "created_at",
            "closed_at",
            "rating",
            "duplicate_of",
            "location_flag",
            "source",
            "thumbnails",
        ]

    def get_thumbnails(self, obj: HazardReport) -> list[str]:
        request = self.context.get("request")
        urls = [p.thumbnail.url for p in obj.photos.all()]
        return [request.build_absolute_uri(u) for u in urls] if request else urls


class ReportDetailSerializer(ReportSerializer):
    photos = PhotoSerializer(many=True, read_only=True)
    events = EventSerializer(many=True, read_only=True)
    allowed_transitions = serializers.SerializerMethodField()
    # The reporter follows the report with its number and this code, no account needed.
    follow_code = serializers.SerializerMethodField()
    follow_url = serializers.SerializerMethodField()

    class Meta(ReportSerializer.Meta):
        fields = [
            *ReportSerializer.Meta.fields,
            "photos",
            "events",
            "allowed_transitions",
            "follow_code",
            "follow_url",
        ]

    def get_follow_code(self, obj: HazardReport) -> str:
        return follow_code(obj.pk)

    def get_follow_url(self, obj: HazardReport) -> str:
        return reverse("hazards:follow", kwargs={"pk": obj.pk, "code": follow_code(obj.pk)})

    def get_allowed_transitions(self, obj: HazardReport) -> list[str]:
        from hazards.closed_loop import allowed_transitions

        request = self.context.get("request")
        return allowed_transitions(obj, request.user) if request else []


class ReportCreateSerializer(serializers.Serializer):
    category = serializers.CharField(help_text="类别代码，如 safety、parking")
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lng = serializers.FloatField(min_value=-180, max_value=180)
    description = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    reporter_kind = serializers.ChoiceField(
        choices=HazardReport.ReporterKind.choices, required=False
    )
    reporter_name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    reporter_phone = serializers.CharField(required=False, allow_blank=True, max_length=30)
    photos = serializers.ListField(child=serializers.FileField(), required=False)


class TransitionSerializer(serializers.Serializer):
    to = serializers.ChoiceField(choices=HazardReport.Status.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    duplicate_of = serializers.IntegerField(required=False)
    new_deadline = serializers.DateTimeField(required=False)
    department = serializers.CharField(required=False, max_length=100)
    after_photo = serializers.FileField(required=False)
