"""Real GPS files (tests/data/gps, and GeoLife): counts, durations, lengths, speed flags, rejections."""

from __future__ import annotations

from pathlib import Path

import pytest

from patrols.models import Track, TrackUpload
from patrols.tracks.ingest import TrackRejected, ingest_file
from tests.conftest import data_file, geolife_file
from tests.patrols_tracks import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def world_steward():
    # The sample files are from Slovenia and Washington DC: an office covering the world keeps them.
    return f.steward(f.office(f.WORLD))


def ingest(path: Path, steward):
    with path.open("rb") as fh:
        return ingest_file(fh, filename=path.name, steward=steward)


# Lengths are measured on the smoothed track (cleaning.walked_length_m), so on these clean real
# files they come out a few per cent under gpxpy's sum of raw fix-to-fix hops (corners are cut
# by at most a 15-s average), never over it.
def under_raw(length: float, raw: float, slack: float = 0.05) -> bool:
    return raw * (1 - slack) < length <= raw


def summary(result):
    tracks = list(Track.objects.filter(id__in=result.track_ids).order_by("started_at"))
    points = sum(t.point_count for t in tracks)
    length = sum(t.length_m for t in tracks)
    span = (tracks[-1].ended_at - tracks[0].started_at).total_seconds()
    return tracks, points, length, span


def test_car_trip_is_one_track_flagged_as_vehicle(world_steward) -> None:
    res = ingest(data_file("gps", "gpx", "gpxpy_around-visnjan-with-car.gpx"), world_steward)
    tracks, points, length, span = summary(res)
    assert (len(tracks), points, span) == (1, 104, 514.0)
    assert under_raw(length, 2736)  # gpxpy length_2d
    assert tracks[0].flags == ["vehicle_speed"]
    assert length / span == pytest.approx(5.3, abs=0.3)  # incl. stops; moving speed ≈ 8.8 m/s


def test_run_is_flagged_above_walking_speed_and_duplicate_time_dropped(world_steward) -> None:
    res = ingest(data_file("gps", "gpx", "movingpandas_run.gpx"), world_steward)
    tracks, points, length, span = summary(res)
    assert (len(tracks), points, span) == (1, 205, 948.0)
    assert res.report["duplicate_times"] == 1 and res.report["points_in"] == 206
    assert under_raw(length, 3102)
    assert tracks[0].flags == ["above_walking_speed"]


def test_hike_keeps_timed_segments_and_counts_untimed_route(world_steward) -> None:
    res = ingest(data_file("gps", "gpx", "gpxpy_korita-zbevnica.gpx"), world_steward)
    tracks, points, length, span = summary(res)
    # 871 points: 358 are a planned route without times; 513 timed, 09:36:30 → 13:19:31. The
    # first fix stands 12 minutes before the next one: a lone point, dropped as zero-length.
    assert res.report["untimed_points"] == 358
    assert tracks[0].started_at.strftime("%H:%M:%S") == "09:48:33"
    assert tracks[-1].ended_at.strftime("%H:%M:%S") == "13:19:31"
    assert span == 3 * 3600 + 30 * 60 + 58
    assert points + res.report["zero_length_points"] == 513
    assert length == pytest.approx(2285 + 3984, rel=0.02)  # gpxpy, per timed segment
    assert all(not t.flags for t in tracks)


def test_walk_and_ride_keeps_eight_tracks_and_flags_the_ride(world_steward) -> None:
    res = ingest(data_file("gps", "gpx", "gpxpy_cerknicko-jezero.gpx"), world_steward)
    tracks, points, length, span = summary(res)
    assert points == 296 and span == 7190.0  # 14:23:59 → 16:23:49
    # gpxpy sums 4580 m; one ~190 m hop in a few seconds (> 50 m/s) is a GPS jump, not distance.
    # It is kept (no fix jumps back), and the track is split there: counted as a split, not a removal.
    assert res.report["jump_splits"] == 1 and res.report["speed_spikes"] == 0
    assert len(tracks) == 8
    assert under_raw(length, 4580 - 190, slack=0.06)
    assert any("vehicle_speed" in t.flags for t in tracks)
    assert any(not t.flags and t.point_count > 100 for t in tracks)  # the walk itself


def test_1901_timestamps_are_rejected_with_the_point_and_nothing_stored(world_steward) -> None:
    with pytest.raises(TrackRejected) as exc:
        ingest(data_file("gps", "gpx", "gpxpy_Mojstrovka.gpx"), world_steward)
    assert exc.value.http_status == 400
    assert "第 1 个点" in exc.value.message and "1901-12-13T20:45:52Z" in exc.value.message
    assert "184" in exc.value.message
    assert not TrackUpload.objects.exists() and not Track.objects.exists()


def _plt_rows(path: Path) -> int:
    return sum(1 for i, line in enumerate(path.read_text().splitlines()) if i >= 6 and line.strip())


def test_every_geolife_file_keeps_its_points(world_steward) -> None:
    folder = geolife_file()
    files = sorted(folder.glob("*/*.plt"))
    assert len(files) == 20
    for path in files:
        res = ingest(path, world_steward)
        r = res.report
        assert r["points_in"] == _plt_rows(path), path
        assert r["untimed_points"] == 0 and r["far_outside"] == 0
        # Only duplicates, lone points and isolated GPS spikes may go; never more than 2 %.
        # The summary is truthful: "removed as spikes" counts exactly the points that went.
        assert _spikes_dropped(r) == r["speed_spikes"]
        assert r["points_out"] >= 0.98 * r["points_in"], path
        tracks, points, _, _ = summary(res)
        assert points == r["points_out"]


def _spikes_dropped(r: dict) -> int:
    return r["points_in"] - r["duplicate_times"] - r["zero_length_points"] - r["points_out"]


def test_geolife_walk_day_of_the_real_pair(world_steward) -> None:
    res = ingest(geolife_file("003", "20081024020227.plt"), world_steward)
    tracks, points, length, span = summary(res)
    assert tracks[0].started_at.isoformat() == "2008-10-24T02:02:27+00:00"
    assert (
        points
        == 1109
        - res.report["duplicate_times"]
        - _spikes_dropped(res.report)
        - res.report["zero_length_points"]
    )
    assert 1000 < length < 50000
