from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin

from geo.models import Community, Grid, Membership, NetworkImport, Segment, StreetOffice


class MapAdmin(GISModelAdmin):
    gis_widget_kwargs = {"attrs": {"default_lon": 116.32, "default_lat": 40.0, "default_zoom": 14}}


@admin.register(StreetOffice)
class StreetOfficeAdmin(MapAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Community)
class CommunityAdmin(MapAdmin):
    list_display = ["code", "name", "street_office"]
    list_filter = ["street_office"]
    search_fields = ["code", "name"]


@admin.register(Grid)
class GridAdmin(MapAdmin):
    list_display = ["code", "name", "community", "street_office"]
    list_filter = ["street_office", "community"]
    search_fields = ["code", "name"]


@admin.register(Segment)
class SegmentAdmin(MapAdmin):
    list_display = [
        "id",
        "name",
        "road_class",
        "length_m",
        "community",
        "grid",
        "valid_from",
        "retired_on",
    ]
    list_filter = ["road_class", "street_office", "community", "retired_on"]
    search_fields = ["name", "source_id"]
    list_select_related = ["community", "grid"]
    readonly_fields = ["valid_from", "retired_on", "imported_by", "retired_by"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Segments are retired by a street import, never deleted: claims and coverage point at them.
        return False


@admin.register(NetworkImport)
class NetworkImportAdmin(admin.ModelAdmin):
    """Read-only: imports are made and undone on the network update page or import_streets."""

    list_display = ["id", "source", "file_name", "imported_on", "created_by", "undone_at"]
    list_filter = ["source"]
    readonly_fields = ["source", "file_name", "imported_on", "created_by", "counts", "undone_at"]
    exclude = ["report"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "street_office", "role", "community"]
    list_filter = ["role", "street_office"]
