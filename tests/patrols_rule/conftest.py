"""Shared fixtures of the rule's page tests."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import User

from geo.models import Membership
from patrols.evaluation import evaluate_pair_day

from . import factories, synth

DAY = date(2024, 5, 14)
T0 = synth.local(2024, 5, 14, 8, 0)


@pytest.fixture
def world(client):
    block = factories.block_office()
    other = factories.make_pair(
        block["office"], block["community"], "第二组", [block["segments"]["n"]]
    )
    a, b = factories.stewards_of(block["pair"])
    c, _ = factories.stewards_of(other)
    loader = factories.DictLoader(
        {
            a: synth.walk(T0, 7500, seed=1),
            b: synth.walk(T0, 7500, seed=2, phase_m=4),
            c: synth.walk(T0, 600, seed=3),
        }
    )
    evaluate_pair_day(block["pair"], DAY, points_loader=loader)
    evaluate_pair_day(other, DAY, points_loader=loader)
    user = User.objects.create_user("supervisor", password="pw-123456")
    Membership.objects.create(
        user=user, street_office=block["office"], role=Membership.Role.SUPERVISOR
    )
    client.force_login(user)
    return {**block, "other": other, "user": user, "loader": loader}
