"""Tenancy: every object belongs to a street office, and a user sees only the offices of their Memberships.

The one place where "which rows may this user see or change" is decided. Other apps import:

- ``offices_for(user, roles=None)``: ids of the street offices where the user holds one of ``roles``.
- ``scope_queryset(qs, user, field="street_office", roles=None)``: ``qs`` narrowed to those offices.
- ``IsOfficeMember`` / ``IsPlannerOrReadOnly``: DRF permission classes.
- ``TenantScopedViewSet``: a mixin for DRF viewsets; set ``tenant_field`` (default ``"street_office"``)
  and optionally ``tenant_read_roles`` (default: every role; ``STAFF_ROLES`` hides rows from stewards)
  and it scopes ``get_queryset`` and checks the office of created/updated objects.

Rows of another office are simply absent from the scoped querysets, so detail endpoints answer 404
(not 403): a planner cannot even learn that another office's object exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, QuerySet
from rest_framework import permissions
from rest_framework.exceptions import PermissionDenied

from geo.models import Membership

Role = Membership.Role
# Roles that may change planning data (stewards, pairs, claims) of their street office.
WRITE_ROLES: tuple[str, ...] = (Role.PLANNER,)
# Everyone with a membership may read their own office's planning data (pairs, claims, maps) ...
READ_ROLES: tuple[str, ...] = tuple(Role.values)
# ... but personal data of the registry (addresses, birth dates, history) only office staff.
STAFF_ROLES: tuple[str, ...] = (Role.PLANNER, Role.SUPERVISOR, Role.GRID_WORKER)


def offices_for(user: Any, roles: Iterable[str] | None = None) -> set[int]:
    """Ids of the street offices where ``user`` holds any of ``roles`` (all roles when None)."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return set()
    memberships = Membership.objects.filter(user=user)
    if roles is not None:
        memberships = memberships.filter(role__in=list(roles))
    return set(memberships.values_list("street_office_id", flat=True))


def scope_queryset(
    qs: QuerySet, user: Any, field: str = "street_office", roles: Iterable[str] | None = None
) -> QuerySet:
    """``qs`` restricted to rows whose ``field`` (a StreetOffice FK path) is one of the user's offices."""
    return qs.filter(**{f"{field}__in": offices_for(user, roles)})


def can_write(user: Any, street_office_id: int | None) -> bool:
    return street_office_id is not None and street_office_id in offices_for(user, WRITE_ROLES)


def require_write(user: Any, street_office_id: int | None) -> None:
    """Raise 403 unless ``user`` is a planner of ``street_office_id``."""
    if not can_write(user, street_office_id):
        raise PermissionDenied("只有本街道的规划员可以修改这些数据。")


class IsOfficeMember(permissions.BasePermission):
    """Authenticated and holding at least one Membership; writes need the planner role (per object)."""

    message = "需要登录，并且是某个街道的成员。"

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated and offices_for(request.user))


class IsPlannerOrReadOnly(IsOfficeMember):
    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return bool(offices_for(request.user, WRITE_ROLES))

    def has_object_permission(self, request, view, obj: Model) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        field = getattr(view, "tenant_field", "street_office")
        return can_write(request.user, _office_id(obj, field))


def _office_id(obj: Model, field: str) -> int | None:
    """Follow ``field`` ("street_office" or "pair__street_office") to the office id."""
    parts = field.split("__")
    for part in parts[:-1]:
        obj = getattr(obj, part)
    return getattr(obj, f"{parts[-1]}_id")


class TenantScopedViewSet:
    """DRF viewset mixin: scoped reads, planner-only writes inside the user's own office."""

    tenant_field = "street_office"
    tenant_read_roles: tuple[str, ...] = READ_ROLES
    permission_classes = [IsPlannerOrReadOnly]

    def get_queryset(self) -> QuerySet:
        return scope_queryset(
            super().get_queryset(),  # type: ignore[misc]
            self.request.user,  # type: ignore[attr-defined]
            self.tenant_field,
            roles=self.tenant_read_roles,
        )

    def perform_create(self, serializer) -> None:
        office = serializer.validated_data.get("street_office")
        require_write(self.request.user, getattr(office, "id", None))  # type: ignore[attr-defined]
        serializer.save()

    def perform_update(self, serializer) -> None:
        office = serializer.validated_data.get(
            "street_office", getattr(serializer.instance, "street_office", None)
        )
        require_write(self.request.user, getattr(office, "id", None))  # type: ignore[attr-defined]
        serializer.save()


class ScopedAdmin(admin.ModelAdmin):
    """Admin lists limited to the staff user's street offices (superusers see every office)."""

    tenant_field = "street_office"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return scope_queryset(qs, request.user, self.tenant_field)


class ReadOnlyAdminMixin:
    """For rows that change only through a service (claims, the points ledger): look, never edit."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
