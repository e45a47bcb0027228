"""After a network re-import retires segments, coverage tiles from the month roll-up still equal
the direct computation from the pair-day rows, on the old network and the new (real PostGIS)."""

from __future__ import annotations

import datetime as dt

import pytest

from geo.importers.streets import import_streets
from geo.models import Segment
from patrols.models import SegmentCoverage
from tests.network.conftest import PATROL_DAYS, REIMPORT, SOURCE, edited_copy
from tests.patrols_rule.tile_reference import assert_tiles_match, tiles_over

pytestmark = pytest.mark.django_db

PERIODS = [
    (dt.date(2025, 3, 1), dt.date(2025, 3, 31)),  # the walked month, whole: the roll-up
    (PATROL_DAYS[2], PATROL_DAYS[4]),  # days of it: the pair-day rows
    (dt.date(2025, 3, 1), dt.date(2025, 4, 30)),  # across the re-import: both networks
    (REIMPORT, REIMPORT),  # the new network alone
]


def test_tiles_from_the_roll_up_match_the_rows_across_a_reimport(network, tmp_path):
    net = network
    tiles = tiles_over((116.30, 39.98, 116.34, 40.02), 14)
    assert assert_tiles_match(net.office.id, tiles, PERIODS) > 0
    import_streets(
        edited_copy(net, tmp_path, "footway", "delete", "redraw", "merge"),
        source=SOURCE,
        on=REIMPORT,
    )
    assert Segment.objects.filter(retired_on=REIMPORT).exists()
    # Walks on the new network in April, through the ORM like any other writer.
    new = Segment.objects.filter(valid_from=REIMPORT).first()
    SegmentCoverage.objects.create(
        segment=new, pair=next(iter(net.pairs.values())), street_office=net.office,
        day=REIMPORT + dt.timedelta(days=2), claimed=False, walked_m=new.length_m,
        covered_share=1.0, covered_bits="1111", patrol_count=2,
    )  # fmt: skip
    assert assert_tiles_match(net.office.id, tiles, PERIODS) > 0
