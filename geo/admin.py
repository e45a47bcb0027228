from django.contrib import admin
from django.contrib.gis.admin import GISModelAdmin

from geo.models import Community, Grid, Membership, Segment, StreetOffice


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
    list_display = ["id", "name", "road_class", "length_m", "community", "grid"]
    list_filter = ["road_class", "street_office", "community"]
    search_fields = ["name", "source_id"]
    list_select_related = ["community", "grid"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "street_office", "role", "community"]
    list_filter = ["role", "street_office"]
