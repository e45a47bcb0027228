"""Admin views of the registry, scoped like the API. New stewards come through the sign-up API,
the registry page or the sheet import, which validate the ID number; the admin cannot add them."""

from __future__ import annotations

from django.contrib import admin

from geo.tenancy import ScopedAdmin
from stewards.models import Pair, PairMember, ProgrammeSettings, Steward, StewardStatusChange


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
