from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from geo.models import Community
from geo.tenancy import offices_for
from stewards.models import Pair, PairMember, ProgrammeSettings, Steward, StewardStatusChange
from stewards.registry import FORM_FIELDS, register_steward


class ScopedCommunityField(serializers.PrimaryKeyRelatedField):
    """Only communities of the requesting user's street offices are accepted."""

    def get_queryset(self):
        request = self.context["request"]
        return Community.objects.filter(street_office_id__in=offices_for(request.user))


class StewardStatusChangeSerializer(serializers.ModelSerializer):
    changed_by = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = StewardStatusChange
        fields = ["from_status", "to_status", "effective_on", "note", "changed_by", "changed_at"]


class StewardSerializer(serializers.ModelSerializer):
    """The sign-up form. ``id_card`` is write-only and only its keyed digest is kept."""

    community = ScopedCommunityField()
    id_card = serializers.CharField(
        write_only=True, required=True, help_text="18位身份证号码；只校验、不保存、不返回"
    )
    pair = serializers.SerializerMethodField()
    status_changes = StewardStatusChangeSerializer(many=True, read_only=True)

    class Meta:
        model = Steward
        fields = [
            "id", "street_office", "community", "status", "status_changed_on", "pair", "id_card",
            *FORM_FIELDS, "status_changes", "created_at",
        ]  # fmt: skip
        read_only_fields = ["street_office", "status", "status_changed_on", "created_at"]

    def get_pair(self, obj: Steward) -> int | None:
        # Iterate the prefetched memberships: a filter() here would query once per steward.
        return next((m.pair_id for m in obj.memberships.all() if m.left_on is None), None)

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            # Updating: the ID number cannot be changed through the API (re-register instead).
            fields["id_card"].required = False
        return fields

    def create(self, validated):
        id_card = validated.pop("id_card")
        validated.pop("street_office", None)
        try:
            return register_steward(id_card=id_card, user=self.context["request"].user, **validated)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"id_card": exc.messages}) from exc

    def update(self, instance, validated):
        validated.pop("id_card", None)
        return super().update(instance, validated)


class TransitionSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=Steward.Status.choices)
    effective_on = serializers.DateField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="报名表 .csv 或 .xlsx，首行为表头（姓名、身份证号码、社区、联系电话…）"
    )
    street_office = serializers.IntegerField()


# A queued (or earlier) sheet import: follow status_url; the job's result is the report.
SheetImportSerializer = inline_serializer(
    "SheetImport",
    {
        "import": serializers.IntegerField(),
        "job": serializers.IntegerField(),
        "state": serializers.ChoiceField(["queued", "running", "done", "failed"]),
        "status_url": serializers.CharField(help_text="/api/jobs/<id>/"),
        "repeat": serializers.BooleanField(help_text="这份报名表此前已提交过，回答的是那次导入"),
        "result": serializers.JSONField(
            allow_null=True, help_text="完成后：{created, failed, errors: [{row, messages}]}"
        ),
    },
)


class PairMemberSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="steward.name", read_only=True)

    class Meta:
        model = PairMember
        fields = ["steward", "name", "joined_on", "left_on"]


class PairSerializer(serializers.ModelSerializer):
    members = PairMemberSerializer(many=True, read_only=True)
    stewards = serializers.PrimaryKeyRelatedField(
        many=True,
        write_only=True,
        queryset=Steward.objects.all(),
        help_text="组员（在岗、同一社区）",
    )

    class Meta:
        model = Pair
        fields = [
            "id",
            "street_office",
            "community",
            "name",
            "formed_on",
            "dissolved_on",
            "members",
            "stewards",
        ]
        read_only_fields = ["street_office", "community", "dissolved_on"]
        extra_kwargs = {"formed_on": {"required": False}}

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            fields["stewards"].child_relation.queryset = Steward.objects.filter(
                street_office_id__in=offices_for(request.user)
            )
        return fields


class ProgrammeSettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProgrammeSettings
        fields = ["street_office", "pair_size", "phone_display", "max_pair_length_m"]
        read_only_fields = ["street_office"]
