"""Admin views of the patrol rule's settings and its verdicts (read-only: verdicts come from the rule)."""

from __future__ import annotations

from django.contrib import admin

from patrols.models import PairDayVerdict, RuleSettings
from patrols.rule_config import RuleParams


@admin.register(RuleSettings)
class RuleSettingsAdmin(admin.ModelAdmin):
    list_display = ["street_office", "overrides", "updated_at"]
    readonly_fields = ["defaults"]

    @admin.display(description="默认值（未覆盖的参数）")
    def defaults(self, obj) -> str:
        return ", ".join(f"{k}={v}" for k, v in RuleParams().as_dict().items())


@admin.register(PairDayVerdict)
class PairDayVerdictAdmin(admin.ModelAdmin):
    list_display = [
        "day",
        "pair",
        "community",
        "compliant",
        "minutes_qualifying",
        "minutes_together",
        "walked_share",
    ]
    list_filter = ["compliant", "street_office", "community"]
    date_hierarchy = "day"
    search_fields = ["pair__name"]

    def has_add_permission(self, request) -> bool:
        return False  # verdicts come from the rule, not from hand entry

    def has_change_permission(self, request, obj=None) -> bool:
        return False
