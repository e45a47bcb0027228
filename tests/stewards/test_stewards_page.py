"""The registry page lists the office's stewards with status and pair, and offers import and pairing."""

from __future__ import annotations

import pytest

from geo.models import Membership
from tests.grids import factories as f

pytestmark = pytest.mark.django_db


def test_the_registry_page_lists_stewards_and_their_pairs(client):
    so = f.office()
    comm = f.community(so, name="蓝旗营社区")
    pair = f.pair(comm, name="蓝旗一组")
    lone = f.steward(comm, name="孤单管家")
    client.force_login(f.user(so))
    body = client.get(f"/plan/stewards/{so.pk}/").content.decode()
    assert "蓝旗营社区" in body and "蓝旗一组" in body and "孤单管家" in body
    # Only active stewards without a pair can be ticked for a new pair.
    assert f'value="{lone.pk}"' in body
    assert all(f'value="{s.pk}"' not in body for s in pair.stewards.all())
    assert 'id="import-form"' in body


def test_a_supervisor_sees_the_registry_without_the_forms(client):
    so = f.office()
    f.steward(f.community(so), name="某管家")
    client.force_login(f.user(so, Membership.Role.SUPERVISOR))
    body = client.get(f"/plan/stewards/{so.pk}/").content.decode()
    assert "某管家" in body and 'id="import-form"' not in body
