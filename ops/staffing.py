"""Setting up and staffing a street office without a shell: office administrators, invitations.

An office administrator is a staff user with the planner role in that office and the
"街道管理员" group's permissions: in the admin they see and edit only their offices' roles and
Open311 keys. A person is invited by a one-time link to choose a password (no e-mail needed:
the administrator passes the link on)."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission, User
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from geo.models import Membership, StreetOffice

OFFICE_ADMIN_GROUP = "街道管理员"
OFFICE_ADMIN_PERMISSIONS = [
    ("geo", "membership", ("add", "change", "delete", "view")),
    ("hazards", "open311key", ("add", "change", "view")),
    ("auth", "user", ("view",)),
]


def office_admin_group() -> Group:
    group, _ = Group.objects.get_or_create(name=OFFICE_ADMIN_GROUP)
    perms = [
        Permission.objects.get(content_type__app_label=app, codename=f"{action}_{model}")
        for app, model, actions in OFFICE_ADMIN_PERMISSIONS
        for action in actions
    ]
    group.permissions.add(*perms)
    return group


def administered_offices(user) -> list[int]:
    """Offices whose roles and keys `user` manages in the admin (all for superusers)."""
    if user.is_superuser:
        return list(StreetOffice.objects.values_list("id", flat=True))
    return list(
        Membership.objects.filter(user=user, role=Membership.Role.PLANNER).values_list(
            "street_office_id", flat=True
        )
    )


def invitation_path(user: User) -> str:
    """The one-time link where an invited person sets a password (valid PASSWORD_RESET_TIMEOUT)."""
    return reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )


def invite(username: str) -> tuple[User, bool]:
    """The user named `username`, created without a usable password if new."""
    user, created = User.objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user, created


@transaction.atomic
def make_office_admin(office: StreetOffice, username: str) -> tuple[User, bool]:
    """Create (or promote) `username` as an administrator of `office`."""
    user, created = invite(username)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(office_admin_group())
    Membership.objects.get_or_create(
        user=user, street_office=office, role=Membership.Role.PLANNER, community=None
    )
    return user, created
