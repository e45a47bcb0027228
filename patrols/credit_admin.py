"""Admin for credit points and assessments. Imported from patrols/admin.py at merge
(``from patrols import credit_admin  # noqa: F401``). The ledger is read-only here: points move
only through patrols.ledger (redemptions, corrections), never by editing rows."""

from django.contrib import admin

from patrols.models import (
    Assessment,
    CreditSettings,
    CreditSupermarket,
    PointsEntry,
    Redemption,
    ReplacementTask,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "steward", "amount", "kind", "reference", "note"]
    list_filter = ["street_office", "kind"]
    search_fields = ["steward__name", "reference", "note"]
    list_select_related = ["steward"]


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "steward", "supermarket", "items", "points"]
    list_filter = ["supermarket"]
    list_select_related = ["steward", "supermarket"]


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ["quarter", "community", "steward", "score", "grade", "confirmed_at"]
    list_filter = ["street_office", "quarter", "grade"]
    list_select_related = ["steward", "community"]


@admin.register(CreditSupermarket)
class CreditSupermarketAdmin(admin.ModelAdmin):
    list_display = ["name", "community", "address", "active"]
    list_filter = ["community__street_office", "active"]


@admin.register(ReplacementTask)
class ReplacementTaskAdmin(admin.ModelAdmin):
    list_display = ["community", "steward", "opened_at", "due", "closed_at"]
    list_filter = ["street_office", "closed_at"]
    readonly_fields = ["community", "street_office", "steward", "assessment", "opened_at", "due"]


@admin.register(CreditSettings)
class CreditSettingsAdmin(admin.ModelAdmin):
    list_display = ["street_office", "updated_at"]
