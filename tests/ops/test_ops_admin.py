"""An office set up and staffed without a shell: the first administrator by command, roles and
invitations and Open311 keys in the admin, scoped to the administrator's own offices."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from geo.models import Membership
from hazards.models import Open311Key
from tests.patrols_tracks import factories as f

pytestmark = pytest.mark.django_db


def _office_admin(office, username="boss") -> tuple[User, str]:
    out = io.StringIO()
    call_command("create_office_admin", office.code, username, stdout=out)
    return User.objects.get(username=username), out.getvalue()


def test_create_office_admin_makes_a_staff_planner_with_an_invitation_link():
    office = f.office()
    user, out = _office_admin(office)
    assert user.is_staff and not user.is_superuser and not user.has_usable_password()
    assert Membership.objects.filter(user=user, street_office=office, role="planner").exists()
    [link] = [line.split("：", 1)[1] for line in out.splitlines() if "/accounts/reset/" in line]
    # The link opens the set-password form; the password set there logs in.
    invited = Client()
    form = invited.get(link, follow=True)
    assert form.status_code == 200 and b"new_password1" in form.content
    set_url = form.redirect_chain[-1][0]
    done = invited.post(
        set_url, {"new_password1": "Ch0sen-by-boss!", "new_password2": "Ch0sen-by-boss!"}
    )
    assert done.status_code == 302
    assert Client().login(username="boss", password="Ch0sen-by-boss!")


def test_an_unknown_office_is_refused_in_words():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="没有代码为"):
        call_command("create_office_admin", "NOPE", "x")


def test_the_office_admin_invites_and_gives_roles_only_in_their_office():
    office, other = f.office(), f.office(name="别的街道")
    boss, _ = _office_admin(office)
    f.steward(other)  # a membership in the other office
    c = Client()
    c.force_login(boss)

    listing = c.get("/admin/geo/membership/")
    assert listing.status_code == 200
    assert other.name not in listing.content.decode()

    resp = c.post(
        "/admin/geo/membership/add/",
        {"username": "newcomer", "street_office": office.id, "role": "supervisor"},
        follow=True,
    )
    assert resp.status_code == 200
    newcomer = User.objects.get(username="newcomer")
    assert Membership.objects.filter(
        user=newcomer, street_office=office, role="supervisor"
    ).exists()
    assert "/accounts/reset/" in resp.content.decode()  # the invitation link, shown once

    # The other office is not a choice: the form refuses it.
    refused = c.post(
        "/admin/geo/membership/add/",
        {"username": "intruder", "street_office": other.id, "role": "planner"},
    )
    assert (
        refused.status_code == 200
        and not Membership.objects.filter(street_office=other, role="planner").exists()
    )


def test_open311_keys_are_issued_shown_once_and_revoked_in_the_admin():
    office = f.office()
    boss, _ = _office_admin(office)
    c = Client()
    c.force_login(boss)
    resp = c.post(
        "/admin/hazards/open311key/add/",
        {"street_office": office.id, "name": "12345 热线", "active": "on"},
        follow=True,
    )
    key = Open311Key.objects.get(name="12345 热线")
    assert len(key.key) >= 40 and key.key in resp.content.decode()
    listing = c.get("/admin/hazards/open311key/").content.decode()
    assert key.key not in listing and key.key[-4:] in listing

    c.post(
        "/admin/hazards/open311key/",
        {"action": "revoke", "_selected_action": [key.id]},
    )
    key.refresh_from_db()
    assert key.active is False
    # A revoked key no longer posts requests.
    posted = Client().post(
        "/open311/v2/requests.json",
        {"api_key": key.key, "service_code": "x", "lat": 40.0, "long": 116.32},
    )
    assert posted.status_code == 403
