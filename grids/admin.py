from __future__ import annotations

from django.contrib import admin

from geo.tenancy import ReadOnlyAdminMixin, ScopedAdmin
from grids.models import AssignmentChange, Claim


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    """Read-only: claims change through grids.assignment so every edit is recorded and undoable."""

    list_display = ["segment", "pair", "valid_from", "valid_to", "change"]
    list_filter = ["pair__community"]
    raw_id_fields = ["segment", "pair", "change", "created_by"]


@admin.register(AssignmentChange)
class AssignmentChangeAdmin(ClaimAdmin):
    list_display = ["id", "kind", "note", "created_by", "created_at", "reverts"]
    list_filter = ["kind"]
    raw_id_fields = ["reverts", "created_by"]
