"""The coverage tile reads a month roll-up kept by triggers: after every way coverage is written
(evaluation, re-evaluation, ORM deletes and corrections) its features equal a direct computation
from the pair-day rows (real PostGIS)."""

from __future__ import annotations

from datetime import date

import pytest

from patrols.evaluation import evaluate_pair_day
from patrols.models import SegmentCoverage, SegmentCoverageMonth

from . import factories, synth
from .tile_reference import assert_tiles_match, tiles_over

pytestmark = pytest.mark.django_db

MAY_14, MAY_31, JUN_1 = date(2024, 5, 14), date(2024, 5, 31), date(2024, 6, 1)
PERIODS = [
    (date(2024, 5, 1), date(2024, 5, 31)),  # a whole month: the roll-up alone
    (MAY_14, MAY_14),  # one day: pair-day rows alone
    (date(2024, 5, 10), date(2024, 6, 5)),  # partial months on both sides
    (date(2024, 4, 15), date(2024, 6, 30)),  # a partial month, then whole ones
    (date(2024, 6, 2), date(2024, 6, 30)),  # nothing walked
]


def _walks(pair, other, day: date, duration: int = 7500) -> factories.DictLoader:
    t0 = synth.local(day.year, day.month, day.day, 8, 0)
    a, b = factories.stewards_of(pair)
    c, _ = factories.stewards_of(other)
    return factories.DictLoader(
        {
            a: synth.walk(t0, duration, seed=1),
            b: synth.walk(t0, duration, seed=2, phase_m=4),
            # The other pair walks the first pair's block: unclaimed by it, so "by pair" differs.
            c: synth.walk(t0, 600, seed=3),
        }
    )


@pytest.fixture
def block():
    block = factories.block_office()
    block["other"] = factories.make_pair(
        block["office"], block["community"], "第二组", [block["segments"]["n"]]
    )
    return block


def _check(block) -> int:
    lon, lat = synth.LON0, synth.LAT0
    bbox = (lon - 0.002, lat - 0.002, lon + 0.008, lat + 0.006)
    tiles = tiles_over(bbox, 14) + tiles_over(bbox, 16)
    return assert_tiles_match(block["office"].id, tiles, PERIODS)


def test_the_tile_from_the_roll_up_equals_the_pair_day_rows_through_every_write(block):
    pair, other = block["pair"], block["other"]
    # Different walks each day, so a month's bits are a true union of its days.
    for day, duration in ((MAY_14, 7500), (MAY_31, 300), (JUN_1, 700)):
        loader = _walks(pair, other, day, duration)
        evaluate_pair_day(pair, day, points_loader=loader)
        evaluate_pair_day(other, day, points_loader=loader)
    assert SegmentCoverageMonth.objects.filter(month=date(2024, 5, 1)).exists()
    assert _check(block) > 0

    # A re-evaluation with less walked: the pair's rows are deleted and written again.
    before = list(
        SegmentCoverageMonth.objects.order_by("id").values_list("covered_bits", "patrol_count")
    )
    evaluate_pair_day(pair, MAY_14, points_loader=_walks(pair, other, MAY_14, duration=400))
    after = list(
        SegmentCoverageMonth.objects.order_by("id").values_list("covered_bits", "patrol_count")
    )
    assert after != before
    assert _check(block) > 0

    # A correction through the ORM (an UPDATE) and a deleted day.
    SegmentCoverage.objects.filter(day=MAY_31, claimed=True).update(patrol_count=7)
    _check(block)
    SegmentCoverage.objects.filter(day=JUN_1).delete()
    assert not SegmentCoverageMonth.objects.filter(month=JUN_1).exists()
    _check(block)
    SegmentCoverage.objects.all().delete()
    assert not SegmentCoverageMonth.objects.exists()
