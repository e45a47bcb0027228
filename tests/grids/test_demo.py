"""The demo seeder: plausible stewards, pairs, most segments assigned, idempotent."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from demo.stewards import seed
from geo.local_days import local_today
from grids.models import Claim
from stewards.models import Pair, Steward
from tests.grids import factories as f

pytestmark = pytest.mark.django_db


def test_seed_covers_most_segments_and_is_idempotent():
    so = f.office()
    c1, c2 = f.community(so), f.community(so)
    segs = f.lattice(c1, 5, 4) + f.lattice(c2, 4, 4, x0=116.32)
    counts = seed(so)
    assert counts.stewards_created == 11 and counts.pairs_created == 5
    assert set(Steward.objects.values_list("status", flat=True)) == {"active"}
    assert all(s.phone.startswith("138") and len(s.phone) == 11 for s in Steward.objects.all())
    assert (
        Pair.objects.filter(community=c1).count() == 3
        and Pair.objects.filter(community=c2).count() == 2
    )
    assigned = Claim.objects.on(local_today()).count()
    assert assigned >= 0.8 * len(segs)
    again = seed(so)
    assert (again.stewards_created, again.pairs_created, again.claims_created) == (0, 0, 0)
    call_command("seed_demo_stewards")
    assert Claim.objects.count() == assigned
