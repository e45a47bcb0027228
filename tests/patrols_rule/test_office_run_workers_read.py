"""The office run's forked workers read their own pairs' points from the track store (committed
data, their own connections) and store exactly what one process stores (real PostGIS)."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime

import pytest

from patrols.evaluation import evaluate_street_office
from patrols.models import PairDayVerdict, SegmentCoverage, TrackUpload
from patrols.tracks.cleaning import CleanTrack
from patrols.tracks.ingest import _copy_tracks
from patrols.tracks.partitions import ensure_partitions
from patrols.tracks.store import load_points
from stewards.models import Steward

from . import factories, synth

pytestmark = pytest.mark.django_db(transaction=True)
DAY = date(2024, 5, 14)
T0 = synth.local(2024, 5, 14, 8, 0)


def _store_tracks(tracks: dict[int, tuple]) -> None:
    """Each steward's walk stored as the ingest stores it (one upload, binary COPY)."""
    ensure_partitions([datetime.fromtimestamp(T0, tz=UTC)])
    for sid, (t, lon, lat) in tracks.items():
        steward = Steward.objects.get(id=sid)
        upload = TrackUpload.objects.create(
            steward=steward,
            street_office_id=steward.street_office_id,
            sha256=f"{sid:064x}",
            original_filename="walk.gpx",
            file="tests/none",
            size_bytes=0,
            format="gpx",
        )
        _copy_tracks([CleanTrack(t, lon, lat, 8000.0)], upload, "wgs84")


def _snapshot():
    verdicts = sorted(
        PairDayVerdict.objects.filter(day=DAY).values_list(
            "pair_id", "compliant", "numbers", "failed_codes", "walked_share"
        )
    )
    cov = sorted(
        SegmentCoverage.objects.filter(day=DAY).values_list(
            "segment_id",
            "pair_id",
            "claimed",
            "walked_m",
            "covered_bits",
            "patrol_count",
            "last_patrolled_at",
        )
    )
    return verdicts, cov


def test_workers_reading_their_own_points_store_what_one_process_stores(monkeypatch, tmp_path):
    monkeypatch.setattr("patrols.evaluation.PARALLEL_MIN_PAIRS", 2)
    block = factories.block_office()
    pairs, tracks = factories.four_pairs_walking(block, T0)
    _store_tracks(tracks)
    log = tmp_path / "readers"

    def loader(steward_ids, start, end):
        with open(log, "a") as f:  # which process read which stewards
            f.write(f"{os.getpid()} {len(steward_ids)}\n")
        return load_points(steward_ids, start, end)

    stats_one = evaluate_street_office(block["office"], DAY, DAY, points_loader=loader, workers=1)
    one = _snapshot()
    assert log.read_text().split() == [str(os.getpid()), "8"]  # the parent read all 8 at once
    log.unlink()

    stats_two = evaluate_street_office(block["office"], DAY, DAY, points_loader=loader, workers=2)
    assert _snapshot() == one
    assert stats_two == stats_one and stats_one.pair_days == 4 and stats_one.coverage_rows > 4
    # Four different pair-days (their measured numbers differ), not one repeated.
    assert len({json.dumps(v[2], sort_keys=True) for v in one[0]}) == 4
    reads = [line.split() for line in log.read_text().splitlines()]
    assert {pid for pid, _ in reads}.isdisjoint({str(os.getpid())})  # only workers read
    assert sum(int(n) for _, n in reads) == 8  # every steward read once, by its pair's chunk
