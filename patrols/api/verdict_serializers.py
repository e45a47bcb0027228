from __future__ import annotations

from rest_framework import serializers

from patrols.models import PairDayVerdict


class PairDayVerdictSerializer(serializers.ModelSerializer):
    pair_name = serializers.CharField(source="pair.name", read_only=True)
    community_name = serializers.CharField(source="community.name", read_only=True)

    class Meta:
        model = PairDayVerdict
        fields = [
            "id",
            "pair",
            "pair_name",
            "community",
            "community_name",
            "day",
            "compliant",
            "minutes_qualifying",
            "minutes_together",
            "minutes_together_inside",
            "minutes_inside_min_member",
            "walked_share",
            "failed_codes",
            "reasons",
            "numbers",
            "params_digest",
            "computed_at",
        ]
        read_only_fields = fields


class EvaluateSerializer(serializers.Serializer):
    day = serializers.DateField(help_text="本地日期（北京时间），例如 2024-05-14")
