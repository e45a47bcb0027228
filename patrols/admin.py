"""Admin views of the registry, scoped like the API. New stewards come through the sign-up API,
the registry page or the sheet import, which validate the ID number; the admin cannot add them."""

from __future__ import annotations

from django.contrib import admin

from geo.tenancy import ScopedAdmin
from patrols.models import (
    Pair,
    PairDayVerdict,
    PairMember,
    ProgrammeSettings,
    RuleSettings,
    Steward,
    StewardStatusChange,
)
from patrols.rule_config import RuleParams


class StatusChangeInline(admin.TabularInline):
    model = StewardStatusChange
    extra = 0
    can_delete = False
    readonly_fields = [
        "from_status",
        "to_status",
        "effective_on",
        "note",
        "changed_by",
        "changed_at",
    ]


@admin.register(Steward)
class StewardAdmin(ScopedAdmin):
    list_display = ["name", "community", "phone", "status", "status_changed_on"]
    list_filter = ["status", "community", "political_status"]
    search_fields = ["name", "phone"]
    readonly_fields = ["status", "status_changed_on", "street_office"]
    inlines = [StatusChangeInline]

    def has_add_permission(self, request) -> bool:
        return False


class PairMemberInline(admin.TabularInline):
    model = PairMember
    extra = 0
    raw_id_fields = ["steward"]


@admin.register(Pair)
class PairAdmin(ScopedAdmin):
    list_display = ["name", "community", "formed_on", "dissolved_on"]
    list_filter = ["community"]
    inlines = [PairMemberInline]


@admin.register(ProgrammeSettings)
class ProgrammeSettingsAdmin(ScopedAdmin):
    list_display = ["street_office", "pair_size", "phone_display", "max_pair_length_m"]


from patrols import credit_admin  # noqa: E402,F401  (registers the read-only ledger admin)


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
