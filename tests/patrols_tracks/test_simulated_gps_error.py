"""The simulator's GPS error drifts as a phone's does, and a track's length is measured on the
cleaned, smoothed track: a simulated walk of known length reads that length, not several times it
(independent jumps of a few metres per fix once made an 8.8 km route read 35 km)."""

from __future__ import annotations

import numpy as np
import pytest

from demo import simulate
from patrols.tracks.cleaning import CleaningParams, clean, haversine_m
from patrols.tracks.formats import RawPoints, RefKind, TrackFormat

ORIGIN = (116.33, 39.99)
# A walk round four blocks of 250 m: 3 km a lap with eight corners.
ROUTE = np.array(
    [[0, 0], [250, 0], [250, 250], [500, 250], [500, 0], [750, 0], [750, 500], [0, 500], [0, 0]],
    dtype=float,
)


def walk(seed: int, duration_s: int = 7200) -> tuple[tuple, float]:
    rng = np.random.default_rng(seed)
    dist = simulate._walk_distance(duration_s, 1.2, rng)
    pos = simulate._position_along(ROUTE, dist)
    shared = simulate._gps_noise(pos.shape[0], rng, 5.0, jitter_m=0.0)
    t, lon, lat = simulate._sample(0.0, pos, rng, ORIGIN, dropouts=False, shared_error=shared)
    return (t, lon, lat), float(dist[int(t[-1])] - dist[int(t[0])])


def raw_points(t, lon, lat) -> RawPoints:
    n = t.size
    return RawPoints(
        t=t + 1.7e9,
        lat=lat,
        lon=lon,
        seg=np.zeros(n, dtype=np.int64),
        ref=np.arange(n),
        ref_kind=RefKind.POINT,
        format=TrackFormat.GPX,
    )


def test_the_error_drifts_slowly_with_a_spread_of_a_few_metres():
    rng = np.random.default_rng(7)
    err = simulate._gps_noise(20_000, rng, 5.0)
    assert err.std(axis=0) == pytest.approx([5.0, 5.0], rel=0.35)
    step = np.linalg.norm(np.diff(err, axis=0), axis=1)
    assert np.median(step) < 0.8  # a fix does not jump metres from the one a second before
    x = err[:, 0] - err[:, 0].mean()
    lag10 = float(np.dot(x[:-10], x[10:]) / np.dot(x, x))
    lag600 = float(np.dot(x[:-600], x[600:]) / np.dot(x, x))
    assert lag10 > 0.8 and abs(lag600) < 0.3  # remembered over seconds, forgotten in minutes


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_simulated_walk_measures_its_true_length_within_ten_per_cent(seed):
    track, true_m = walk(seed)
    tracks, report = clean(raw_points(*track), params=CleaningParams(), now=2e9)
    assert len(tracks) == 1 and report.speed_spikes == 0
    assert tracks[0].length_m == pytest.approx(true_m, rel=0.10)


def test_length_is_measured_on_the_smoothed_track_even_for_scribbled_fixes():
    """A logger whose every fix jumps independently by ~3 m per axis (the old simulator, and
    cheap loggers): the raw hops add up to about twice the route, the cleaned track does not."""
    track, true_m = walk(5)
    t, lon, lat = track
    rng = np.random.default_rng(0)
    lon = lon + rng.standard_normal(lon.size) * 3.0 / (111_320 * np.cos(np.radians(ORIGIN[1])))
    lat = lat + rng.standard_normal(lat.size) * 3.0 / 111_320
    raw = float(haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:]).sum())
    tracks, _ = clean(raw_points(t, lon, lat), params=CleaningParams(), now=2e9)
    assert raw > 1.5 * true_m
    assert tracks[0].length_m == pytest.approx(true_m, rel=0.25)
