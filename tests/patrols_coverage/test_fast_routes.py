"""The district-day's faster routes give exactly what the plain numpy they replaced gives.

Each test compares a fast route with the straightforward computation written out here (the
form the code had before issue 18's district-day work): same values, same order, same bits.
"""

from __future__ import annotations

import numpy as np

from patrols.tracks.series import sorted_finite, velocity
from patrols.walked_coverage import CellIndex, distinct


def _brute_within(x, y, px, py, radius):
    d = np.hypot(x[None, :] - px[:, None], y[None, :] - py[:, None])
    q, p = np.nonzero(d <= radius)
    return q, p


def test_cell_index_finds_exactly_the_pairs_hypot_finds_including_points_on_the_radius():
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-200, 200, 3000), rng.uniform(-200, 200, 3000)
    px, py = rng.uniform(-220, 220, 700), rng.uniform(-220, 220, 700)
    # Queries exactly 15 m (and a hair more or less) from an indexed point, on an axis and not.
    px = np.concatenate([px, x[:50] + 15.0, x[50:100], x[100:150] + 9.0, x[150:200] + 15.0])
    py = np.concatenate(
        [py, y[:50], y[50:100] - np.nextafter(15.0, 16), y[100:150] + 12.0, y[150:200] + 1e-12]
    )
    grid = CellIndex(x, y, 15.0)
    q, p = grid.within(px, py, 15.0)
    bq, bp = _brute_within(x, y, px, py, 15.0)
    got = sorted(zip(q.tolist(), p.tolist(), strict=True))
    assert got == sorted(zip(bq.tolist(), bp.tolist(), strict=True))
    assert len(got) > 1000
    assert np.all(np.diff(q) >= 0)  # ordered by query, as match_walking_points relies on


def test_cell_index_keeps_the_order_of_the_nine_cell_lookup():
    """Per query: cell column x-1, x, x+1; in each, rows y-1, y, y+1; in a cell, point order."""
    rng = np.random.default_rng(5)
    x, y = rng.uniform(0, 60, 800), rng.uniform(0, 60, 800)
    grid = CellIndex(x, y, 15.0)
    px, py = rng.uniform(0, 60, 200), rng.uniform(0, 60, 200)
    q, p = grid.within(px, py, 15.0)
    cell = lambda v: np.floor(v / 15.0).astype(int)  # noqa: E731
    key = (cell(x[p]) - cell(px[q])) * 3 + (cell(y[p]) - cell(py[q]))
    order = np.lexsort((p, key, q))
    assert np.array_equal(order, np.arange(len(q)))


def test_distinct_is_np_unique():
    rng = np.random.default_rng(1)
    for n, bound in [(0, 10), (1, 1), (5000, 40), (30000, 257_000), (100, 10**6)]:
        values = rng.integers(0, bound, n)
        got = distinct(values, bound)
        assert got.dtype == np.int64
        assert np.array_equal(got, np.unique(values))


def _sorted_finite_reference(t, x, y):
    t = np.asarray(t, dtype=float)
    ok = np.isfinite(t) & np.isfinite(x) & np.isfinite(y)
    t, x, y = t[ok], np.asarray(x, dtype=float)[ok], np.asarray(y, dtype=float)[ok]
    order = np.argsort(t, kind="stable")
    t, x, y = t[order], x[order], y[order]
    _, first = np.unique(t, return_index=True)
    return t[first], x[first], y[first]


def test_sorted_finite_skips_the_sort_only_when_it_would_change_nothing():
    rng = np.random.default_rng(2)
    t = np.arange(100.0)
    x, y = rng.normal(size=100), rng.normal(size=100)
    cases = [(t, x, y)]
    cases.append((t[::-1].copy(), x, y))  # reversed
    dup = t.copy()
    dup[10] = dup[9]  # a repeated timestamp
    cases.append((dup, x, y))
    nan = x.copy()
    nan[5] = np.nan
    cases.append((t, nan, y))
    cases.append((t[:1], x[:1], y[:1]))
    cases.append((t[:0], x[:0], y[:0]))
    cases.append((rng.permutation(t), x, y))
    for case in cases:
        got, ref = sorted_finite(*case), _sorted_finite_reference(*case)
        for a, b in zip(got, ref, strict=True):
            assert np.array_equal(a, b)


def _fill_nearest_reference(values, where):
    good = np.isfinite(values)
    if not good.any():
        return values
    n = len(values)
    pos = np.arange(n)
    prev = np.maximum.accumulate(np.where(good, pos, -1))
    nxt = np.minimum.accumulate(np.where(good, pos, n)[::-1])[::-1]
    src = np.clip(np.where(prev >= 0, prev, nxt), 0, n - 1)
    out = values.copy()
    fill = where & ~good
    out[fill] = values[src[fill]]
    return out


def test_velocity_fills_window_edges_from_the_nearest_measured_second_as_before():
    rng = np.random.default_rng(4)
    n = 2000
    x, y = np.cumsum(rng.normal(size=n)), np.cumsum(rng.normal(size=n))
    valid = np.ones(n, dtype=bool)
    for a, b in [(0, 7), (100, 140), (141, 143), (900, 1300), (1990, 2000)]:
        valid[a:b] = False
    x[~valid], y[~valid] = np.nan, np.nan
    vx, vy, speed = velocity(x, y, valid, 10, 1)
    h = 5
    from patrols.tracks.series import _shift

    rx = _fill_nearest_reference((_shift(x, -h) - _shift(x, h)) / (2 * h), valid)
    ry = _fill_nearest_reference((_shift(y, -h) - _shift(y, h)) / (2 * h), valid)
    rx[~valid], ry[~valid] = np.nan, np.nan
    assert np.array_equal(vx, rx, equal_nan=True)
    assert np.array_equal(vy, ry, equal_nan=True)
    assert np.isfinite(vx[valid]).all()
