from __future__ import annotations

from django.contrib import admin

from grids.models import AssignmentChange, Claim
from patrols.admin import ScopedAdmin


@admin.register(Claim)
class ClaimAdmin(ScopedAdmin):
    """Read-only: claims change through grids.assignment so every edit is recorded and undoable."""

    list_display = ["segment", "pair", "valid_from", "valid_to", "change"]
    list_filter = ["pair__community"]
    raw_id_fields = ["segment", "pair", "change", "created_by"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AssignmentChange)
class AssignmentChangeAdmin(ClaimAdmin):
    list_display = ["id", "kind", "note", "created_by", "created_at", "reverts"]
    list_filter = ["kind"]
    raw_id_fields = ["reverts", "created_by"]
