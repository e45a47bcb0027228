"""Admin pages for running offices without a shell: roles (with invitations) scoped to the offices
the staff member administers, and Open311 keys issued and revoked there."""

from __future__ import annotations

import secrets

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from geo.admin import MembershipAdmin as GeoMembershipAdmin
from geo.models import Community, Membership, StreetOffice
from hazards.models import Open311Key
from ops.staffing import administered_offices, invitation_path, invite


class OfficeScopedAdmin(admin.ModelAdmin):
    """Rows and choices limited to the street offices the staff member administers."""

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(street_office_id__in=administered_offices(request.user))
        )

    def get_list_filter(self, request):
        # The office filter would list every office's name: only for those who see them all.
        filters = super().get_list_filter(request)
        if request.user.is_superuser:
            return filters
        return [f for f in filters if f != "street_office"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        offices = administered_offices(request.user)
        if db_field.name == "street_office":
            kwargs["queryset"] = StreetOffice.objects.filter(id__in=offices)
        elif db_field.name == "community":
            kwargs["queryset"] = Community.objects.filter(street_office_id__in=offices)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class MembershipForm(forms.ModelForm):
    username = forms.CharField(
        label=_("用户名"),
        max_length=150,
        help_text=_("已有账号直接授予角色；新用户名会创建账号，并给出设置密码的一次性邀请链接。"),
    )

    class Meta:
        model = Membership
        fields = ["username", "street_office", "role", "community"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["username"].initial = self.instance.user.get_username()


admin.site.unregister(Membership)


@admin.register(Membership)
class MembershipAdmin(OfficeScopedAdmin, GeoMembershipAdmin):
    form = MembershipForm
    search_fields = ["user__username"]

    def save_model(self, request, obj, form, change):
        user, created = invite(form.cleaned_data["username"].strip())
        obj.user = user
        super().save_model(request, obj, form, change)
        if created:
            link = request.build_absolute_uri(invitation_path(user))
            self.message_user(
                request,
                _("已创建账号 %(user)s。请把这个一次性链接交给本人设置密码：%(link)s")
                % {"user": user.get_username(), "link": link},
                messages.WARNING,
            )


class Open311KeyForm(forms.ModelForm):
    class Meta:
        model = Open311Key
        fields = ["street_office", "name", "active"]


@admin.register(Open311Key)
class Open311KeyAdmin(OfficeScopedAdmin):
    form = Open311KeyForm
    list_display = ["name", "street_office", "masked_key", "active", "created_at"]
    list_filter = ["active", "street_office"]
    actions = ["revoke"]

    @admin.display(description=_("密钥"))
    def masked_key(self, obj: Open311Key) -> str:
        return f"{obj.key[:4]}…{obj.key[-4:]}"

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke instead: a key's history stays readable

    def save_model(self, request, obj, form, change):
        if not change:
            obj.key = secrets.token_urlsafe(32)
        super().save_model(request, obj, form, change)
        if not change:
            self.message_user(
                request,
                _("新密钥（只显示这一次，请交给 %(name)s）：%(key)s")
                % {"name": obj.name, "key": obj.key},
                messages.WARNING,
            )

    @admin.action(description=_("吊销所选密钥"))
    def revoke(self, request, queryset):
        n = queryset.update(active=False)
        self.message_user(request, _("已吊销 %(n)d 个密钥。") % {"n": n})
