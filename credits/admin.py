"""Admin for credit points and assessments. The ledger is read-only here: points move only
through credits.ledger (redemptions, corrections), never by editing rows."""

from django.contrib import admin

from credits.models import (
    Assessment,
    CreditSettings,
    CreditSupermarket,
    PointsEntry,
    Redemption,
    ReplacementTask,
)
from geo.tenancy import ReadOnlyAdminMixin, ScopedAdmin


class ReadOnlyAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    pass


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "steward", "amount", "kind", "reference", "note"]
    list_filter = ["street_office", "kind"]
    search_fields = ["steward__name", "reference", "note"]
    list_select_related = ["steward"]


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    tenant_field = "steward__street_office"
    list_display = ["created_at", "steward", "supermarket", "items", "points"]
    list_filter = ["supermarket"]
    list_select_related = ["steward", "supermarket"]


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ["quarter", "community", "steward", "score", "grade", "confirmed_at"]
    list_filter = ["street_office", "quarter", "grade"]
    list_select_related = ["steward", "community"]


@admin.register(CreditSupermarket)
class CreditSupermarketAdmin(ScopedAdmin):
    tenant_field = "community__street_office"
    list_display = ["name", "community", "address", "active"]
    list_filter = ["community__street_office", "active"]


@admin.register(ReplacementTask)
class ReplacementTaskAdmin(ScopedAdmin):
    list_display = ["community", "steward", "opened_at", "due", "closed_at"]
    list_filter = ["street_office", "closed_at"]
    readonly_fields = ["community", "street_office", "steward", "assessment", "opened_at", "due"]


@admin.register(CreditSettings)
class CreditSettingsAdmin(ScopedAdmin):
    list_display = ["street_office", "updated_at"]
