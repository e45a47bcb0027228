"""Admin views of the registry, scoped like the API. New stewards come through the sign-up API,
the registry page or the sheet import, which validate the ID number; the admin cannot add them."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import router
from django.db.models.deletion import Collector, ProtectedError
from django.utils.translation import gettext as _

from geo.tenancy import ScopedAdmin
from stewards.models import Pair, PairMember, ProgrammeSettings, Steward, StewardStatusChange


class EndInsteadOfDeleteMixin:
    """Stewards and pairs with history (claims, tracks, verdicts, coverage, points) are PROTECTed:
    the admin's delete page lists what blocks it; this says what to do instead."""

    end_instead_message = ""

    def delete_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        if obj is not None:
            collector = Collector(using=router.db_for_write(type(obj)))
            try:
                collector.collect([obj])
            except ProtectedError:
                messages.warning(request, self.end_instead_message)
        return super().delete_view(request, object_id, extra_context)


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
class StewardAdmin(EndInsteadOfDeleteMixin, ScopedAdmin):
    list_display = ["name", "community", "phone", "status", "status_changed_on"]
    list_filter = ["status", "community", "political_status"]
    search_fields = ["name", "phone"]
    readonly_fields = ["status", "status_changed_on", "street_office"]
    inlines = [StatusChangeInline]

    @property
    def end_instead_message(self) -> str:
        return _(
            "这位管家已有巡查、认领或积分记录，不能删除：请在名册中办理退出（离职/辞退），记录会保留。"
        )

    def has_add_permission(self, request) -> bool:
        return False


class PairMemberInline(admin.TabularInline):
    model = PairMember
    extra = 0
    raw_id_fields = ["steward"]


@admin.register(Pair)
class PairAdmin(EndInsteadOfDeleteMixin, ScopedAdmin):
    list_display = ["name", "community", "formed_on", "dissolved_on"]
    list_filter = ["community"]
    inlines = [PairMemberInline]

    @property
    def end_instead_message(self) -> str:
        return _("这个组已有认领、巡查或判定记录，不能删除：请解散该组（结束其认领），历史会保留。")


@admin.register(ProgrammeSettings)
class ProgrammeSettingsAdmin(ScopedAdmin):
    list_display = ["street_office", "pair_size", "phone_display", "max_pair_length_m"]
