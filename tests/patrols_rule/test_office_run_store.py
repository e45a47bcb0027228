"""How an office run stores a day: the pairs cut into chunks that shrink at the end, foreign keys
checked as each part is stored, and a day whose store fails leaves nothing of itself (real PostGIS)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from grids.models import Claim
from patrols.evaluation import day_chunks, evaluate_street_office
from patrols.models import PairDayVerdict, SegmentCoverage, SegmentCoverageMonth

from . import factories, synth

DAY = date(2024, 5, 14)
T0 = synth.local(2024, 5, 14, 8, 0)


@pytest.mark.parametrize("n", [1, 4, 49, 50, 51, 460, 2300])
@pytest.mark.parametrize("workers", [2, 3])
def test_day_chunks_hold_every_pair_once_in_order_and_shrink_at_the_end(n, workers):
    keys = [7 * k + 3 for k in range(n)]
    chunks = day_chunks(keys, workers)
    assert [k for c in chunks for k in c] == keys
    sizes = [len(c) for c in chunks]
    assert all(s >= 1 for s in sizes) and max(sizes) <= 50
    assert sizes == sorted(sizes, reverse=True)  # never a big chunk after a small one
    if n >= 460:
        assert sizes[0] == 50 and sizes[-2] <= 5  # full chunks first, small ones last
    if n <= 2 * workers:
        assert sizes == [1] * n  # a small day still reaches every worker


def _snapshot():
    verdicts = sorted(
        PairDayVerdict.objects.filter(day=DAY).values_list(
            "pair_id", "compliant", "numbers", "computed_at"
        )
    )
    cov = sorted(
        SegmentCoverage.objects.filter(day=DAY).values_list(
            "segment_id", "pair_id", "claimed", "walked_m", "covered_bits", "patrol_count"
        )
    )
    months = sorted(
        SegmentCoverageMonth.objects.values_list(
            "segment_id", "month", "claimed", "n_bits", "covered_bits", "patrol_count"
        )
    )
    return verdicts, cov, months


@pytest.mark.django_db(transaction=True)
def test_a_day_whose_store_fails_leaves_verdicts_coverage_and_months_as_they_were():
    block = factories.block_office()
    pairs, tracks = factories.four_pairs_walking(block, T0)
    loader = factories.DictLoader(tracks)
    evaluate_street_office(block["office"], DAY, DAY, points_loader=loader)
    gone = (  # a segment some pair walked; given up by its pair, so nothing else refers to it
        SegmentCoverage.objects.filter(day=DAY, walked_m__gt=0).order_by("segment_id").first()
    ).segment_id
    Claim.objects.filter(segment_id=gone).delete()
    before = {}

    def loader_while_the_segment_goes(steward_ids, start, end):
        # The segment is removed (committed) after the run built its network: the run's rows
        # for it break a foreign key, so the day's store must fail and undo all of itself.
        with connection.cursor() as cur:
            cur.execute("DELETE FROM grids_segmentcoverage WHERE segment_id = %s", [gone])
            cur.execute("DELETE FROM geo_segment WHERE id = %s", [gone])
        before["state"] = _snapshot()
        return loader(steward_ids, start, end)

    with pytest.raises(IntegrityError):
        evaluate_street_office(
            block["office"], DAY, DAY, points_loader=loader_while_the_segment_goes
        )
    assert before["state"][1] and before["state"][2]  # the day had rows and months to keep
    assert _snapshot() == before["state"]


@pytest.mark.django_db(transaction=True)
def test_a_run_inside_a_callers_transaction_leaves_its_foreign_keys_deferred():
    block = factories.block_office()
    pairs, tracks = factories.four_pairs_walking(block, T0)
    with transaction.atomic():
        evaluate_street_office(
            block["office"], DAY, DAY, points_loader=factories.DictLoader(tracks)
        )
        # Deferred, as Django declares them: a row may point at its pair before the pair exists.
        with connection.cursor() as cur:
            cur.execute("SELECT max(id) + 1000 FROM patrols_pair")
            (future,) = cur.fetchone()
            cur.execute(
                "UPDATE patrols_pairdayverdict SET pair_id = %s WHERE pair_id = %s",
                [future, pairs[0].id],
            )
            cur.execute(
                "UPDATE patrols_pairdayverdict SET pair_id = %s WHERE pair_id = %s",
                [pairs[0].id, future],
            )
    assert PairDayVerdict.objects.filter(pair=pairs[0], day=DAY).count() == 1
