"""Walked share of segments from walking tracks (patrols.walked_coverage), on the synthetic block.

N street ───────────────────────── (y = 240, not claimed)
C ─────────── north alley ──────── D   (y = 200)
│ west                        east │
O ─────────── south alley ──────── B   (x = 300)
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
import shapely

from geo.local_projection import LocalProjection
from patrols.pair_day import assess_pair_day
from patrols.rule_config import RuleParams
from patrols.walked_coverage import SegmentSamples, match_walking_points, summarise
from tests.patrols_rule import synth

PARAMS = RuleParams()
T0 = synth.local(2024, 5, 14, 8, 0)
DAY = date(2024, 5, 14)
IDS, LINES = synth.claimed()


def coverage_of(tracks, params=PARAMS):
    a = assess_pair_day(tracks, IDS, LINES, DAY, params)
    return dict(zip(IDS, a.claimed.share, strict=True)), a.claimed


def both(path, duration, **kw):
    return {
        1: synth.walk(T0, duration, path_xy=path, seed=1, **kw),
        2: synth.walk(T0, duration, path_xy=path, seed=2, **kw),
    }


def test_walking_the_south_alley_end_to_end_covers_it_and_only_it():
    path = np.array([(0, 0), (300, 0)], dtype=float)
    share, _ = coverage_of(both(path, 290, noise_m=5.0))
    assert share[1] > 0.95
    # The east and west alleys touch its ends: at most the 15 m reach, and only if heading along.
    assert share[2] < 0.1 and share[4] < 0.1
    assert share[3] == 0


def test_a_walk_along_a_parallel_street_40_m_away_is_not_coverage():
    path = np.array([(-100, 240), (400, 240)], dtype=float)
    share, result = coverage_of(both(path, 480, noise_m=5.0))
    assert share[3] == 0
    assert result.walked_m.sum() == 0


def test_crossing_an_alley_perpendicularly_does_not_cover_it():
    # North-south walk at x = 150, crossing the south and north alleys in the middle.
    path = np.array([(150, -100), (150, 300)], dtype=float)
    share, _ = coverage_of(both(path, 380, noise_m=3.0))
    assert share[1] == 0 and share[3] == 0


def test_half_an_alley_is_half_covered():
    path = np.array([(0, 0), (150, 0)], dtype=float)
    share, _ = coverage_of(both(path, 140, noise_m=2.0))
    assert share[1] == pytest.approx(0.5 + 15 / 300, abs=0.06)  # plus the 15 m matching reach


def test_two_walks_half_an_hour_apart_are_two_patrols_and_the_last_time_is_the_second():
    proj = LocalProjection.around(np.array([synth.LON0]), np.array([synth.LAT0]))
    samples = SegmentSamples.build(IDS, proj.geometries(LINES), 5.0)
    path = np.array([(0, 0), (300, 0)], dtype=float)
    parts = []
    for start in (T0, T0 + 1800):
        t, lon, lat = synth.walk(start, 270, path_xy=path, noise_m=0.0)
        x, y = proj.forward(lon, lat)
        vx, vy = np.gradient(x), np.gradient(y)
        parts.append((t, x, y, vx, vy))
    t, x, y, vx, vy = (np.concatenate(c) for c in zip(*parts, strict=True))
    result = summarise(
        samples, match_walking_points(samples, t, x, y, vx, vy, PARAMS), PARAMS.pass_gap_s
    )
    assert result.patrols[0] == 2
    assert result.last_time[0] >= T0 + 1800
    assert result.last_time[0] < T0 + 1800 + 270
    assert np.isnan(result.last_time[2])  # the north alley was never walked
    assert result.patrols[2] == 0


def test_samples_split_each_segment_into_pieces_that_sum_to_its_length():
    proj = LocalProjection.around(np.array([synth.LON0]), np.array([synth.LAT0]))
    samples = SegmentSamples.build(IDS, proj.geometries(LINES), 5.0)
    per_seg = np.bincount(samples.sample_seg, weights=samples.sample_len)
    assert per_seg == pytest.approx(samples.lengths_m)
    assert samples.lengths_m == pytest.approx([300, 200, 300, 200], rel=0.01)
    # Tangents of the south alley point east-west; of the east alley north-south.
    south = samples.sample_seg == 0
    assert np.abs(samples.tx[south]).min() > 0.99
    east = samples.sample_seg == 1
    assert np.abs(samples.ty[east]).min() > 0.99


def test_points_along_lines_match_shapely_on_the_real_wudaokou_network():
    from geo.importers.streets import prepare_segments
    from patrols.walked_coverage import _points_along
    from tests.conftest import data_file

    columns, _, _ = prepare_segments(data_file("osm", "wudaokou.osm"))
    lines = np.asarray(columns["geom"], dtype=object)
    proj = LocalProjection.around(np.array([116.33]), np.array([40.0]))
    lines_m = proj.geometries(lines)
    lengths = shapely.length(lines_m)
    rng = np.random.default_rng(0)
    line = rng.integers(0, len(lines_m), 5000)
    dist = rng.random(5000) * lengths[line] * 0.999
    mx, my, tx, ty = _points_along(lines_m, line, dist)
    ref = shapely.line_interpolate_point(lines_m[line], dist)
    assert np.hypot(mx - shapely.get_x(ref), my - shapely.get_y(ref)).max() < 1e-6
    assert np.allclose(np.hypot(tx, ty), 1.0)
    # The direction is the line's own direction there: a step along it stays on the line.
    ahead = shapely.points(mx + 0.01 * tx, my + 0.01 * ty)
    assert (shapely.distance(lines_m[line], ahead) < 1e-3).mean() > 0.99  # except at bends


@pytest.mark.parametrize("first_s", [290, 291, 292])
def test_matching_a_measured_walk_gathers_the_points_every_third_point_of_all_would_give(first_s):
    """match_walk takes every third of the members' walking seconds, concatenated, without
    concatenating them all first: the same matches, in the same order, as walking_points +
    match_walking_points (the first member's count of points not a multiple of three too)."""
    from patrols.together import measure_pair_day
    from patrols.walked_coverage import match_walk, walking_points

    proj = LocalProjection.around(np.array([synth.LON0]), np.array([synth.LAT0]))
    lines = proj.geometries(LINES)
    samples = SegmentSamples.build(IDS, lines, 5.0)
    path = np.array([(0, 0), (300, 0), (300, 200)], dtype=float)
    tracks = {
        1: synth.walk(T0, first_s, path_xy=path, seed=1, noise_m=3.0),
        2: synth.walk(T0 + 40, 400, path_xy=path[::-1], seed=2, noise_m=3.0),
    }
    m = measure_pair_day(tracks, lines, DAY, PARAMS, projection=proj, claimed_projected=lines)
    got = match_walk(m, samples, PARAMS)
    ref = match_walking_points(samples, *walking_points(m), PARAMS)
    assert len(got.sample) > 100
    assert np.array_equal(got.sample, ref.sample) and got.sample.dtype == ref.sample.dtype
    assert np.array_equal(got.time, ref.time) and got.time.dtype == ref.time.dtype
