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


def test_cell_index_finds_the_same_pairs_when_queries_spread_too_far_for_the_dense_lookup():
    """Distinct query cells come from a scatter over the queries' box of cells when the box is
    small, else from np.unique: both give the pairs, in the order, of the brute force."""
    rng = np.random.default_rng(8)
    x, y = rng.uniform(-100, 100, 2000), rng.uniform(-100, 100, 2000)
    x, y = np.concatenate([x, x + 90_000]), np.concatenate([y, y - 70_000])
    grid = CellIndex(x, y, 15.0)
    near = rng.uniform(-110, 110, (2, 300))
    for px, py in [
        (near[0], near[1]),  # one small box: the scatter
        (np.concatenate([near[0], near[0] + 90_000]), np.concatenate([near[1], near[1] - 70_000])),
    ]:
        q, p = grid.within(px, py, 15.0)
        bq, bp = _brute_within(x, y, px, py, 15.0)
        assert sorted(zip(q.tolist(), p.tolist(), strict=True)) == sorted(
            zip(bq.tolist(), bp.tolist(), strict=True)
        )
        assert np.all(np.diff(q) >= 0) and len(q) > 100
    # A query with no position matches nothing (and does not break the lookup of the others).
    with np.errstate(invalid="ignore"):  # NaN's cell key is garbage, as it always was
        q, p = grid.within(np.array([np.nan, 0.0]), np.array([0.0, 0.0]), 15.0)
    assert set(q.tolist()) == {1}


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


def _shift(a, k):
    """a shifted by k places, NaN-padded (the form velocity had before)."""
    out = np.full_like(a, np.nan)
    if k > 0:
        out[k:] = a[:-k]
    elif k < 0:
        out[:k] = a[-k:]
    else:
        out[:] = a
    return out


def test_velocity_fills_window_edges_from_the_nearest_measured_second_as_before():
    rng = np.random.default_rng(4)
    for n in (3, 10, 11, 12, 2000):
        x, y = np.cumsum(rng.normal(size=n)), np.cumsum(rng.normal(size=n))
        valid = np.ones(n, dtype=bool)
        for a, b in [(0, 7), (100, 140), (141, 143), (900, 1300), (1990, 2000)]:
            valid[a:b] = False
        valid[: min(n, 2)] = True
        x[~valid], y[~valid] = np.nan, np.nan
        vx, vy, speed = velocity(x, y, valid, 10, 1)
        h = 5
        rx = _fill_nearest_reference((_shift(x, -h) - _shift(x, h)) / (2 * h), valid)
        ry = _fill_nearest_reference((_shift(y, -h) - _shift(y, h)) / (2 * h), valid)
        rx[~valid], ry[~valid] = np.nan, np.nan
        assert np.array_equal(vx, rx, equal_nan=True)
        assert np.array_equal(vy, ry, equal_nan=True)
        assert np.array_equal(speed, np.hypot(rx, ry), equal_nan=True)
    assert np.isfinite(vx[valid]).all()


def _coverage_rows_reference(pair, day, segs, cov, is_claimed, covered):
    """The per-row loop `patrols.evaluation._assess` had before the rows were built in bulk."""
    from datetime import UTC, datetime

    from patrols import coverage_queries as grid_queries

    written = np.flatnonzero(is_claimed | (cov.walked_m > 0))
    share = np.zeros(len(segs.ids))
    share[written] = cov.restrict(written).share
    rows = []
    for i in written:
        first, end = segs.piece_start[i], segs.piece_start[i + 1]
        lo, hi = np.searchsorted(covered, [first, end])
        bits = np.full(end - first, ord("0"), dtype=np.uint8)
        bits[covered[lo:hi] - first] = ord("1")
        last = cov.last_time[i]
        rows.append(
            grid_queries.CoverageRow(
                int(segs.ids[i]),
                pair.id,
                pair.street_office_id,
                day,
                bool(is_claimed[i]),
                float(cov.walked_m[i]),
                float(share[i]),
                bits.tobytes().decode("ascii"),
                int(cov.patrols[i]),
                None if np.isnan(last) else datetime.fromtimestamp(float(last), UTC),
            )
        )
    return rows


def test_coverage_rows_built_in_bulk_are_the_rows_the_per_row_loop_built():
    from datetime import date
    from types import SimpleNamespace

    from geo.local_projection import LocalProjection
    from patrols.coverage_rows import coverage_rows
    from patrols.pair_day import SegmentSet, assess_on_segments
    from patrols.rule_config import RuleParams
    from tests.patrols_rule import synth

    params = RuleParams()
    day = date(2024, 5, 14)
    t0 = synth.local(2024, 5, 14, 8, 0)
    ids, lines = synth.claimed()
    # The block, the parallel street, a zero-length segment on the walk and one far away.
    on_walk = synth.line((150, 0), (150, 0))
    far = synth.line((5000, 5000), (5300, 5000))
    ids = [*ids, 7, 8, 9]
    lines = [*lines, synth.N_STREET, on_walk, far]
    proj = LocalProjection.around(synth.LON0, synth.LAT0)
    segs = SegmentSet.build(np.array(ids), np.array(lines, dtype=object), proj, params)
    pair = SimpleNamespace(id=5, street_office_id=2)
    path = np.array([(0, 0), (300, 0), (300, 120), (300, 0), (-100, 0), (-100, 240), (400, 240)])
    cases = [
        ([1, 2, 3, 4], synth.walk(t0, 7200, seed=1), synth.walk(t0, 7200, seed=2)),
        ([1, 2], synth.walk(t0, 3000, path_xy=path, seed=3), synth.walk(t0, 2000, seed=4)),
        ([9], synth.walk(t0, 600, path_xy=path, seed=5), synth.walk(t0 + 9000, 600, seed=6)),
        ([3], (np.zeros(0),) * 3, (np.zeros(0),) * 3),
    ]
    n_rows = 0
    for claimed, a, b in cases:
        r = assess_on_segments(day, [1, 2], claimed, {1: a, 2: b}, segs, proj, params)
        cov = r.coverage
        args = (pair, day, segs, cov, r.is_claimed, cov.covered)
        got, ref = coverage_rows(*args), _coverage_rows_reference(*args)
        assert got == ref
        assert [type(v) for v in got[0]] == [type(v) for v in ref[0]]
        n_rows += len(got)
    assert n_rows > 10


def test_common_times_is_intersect1d_with_indices():
    from patrols.tracks.series import common_times

    rng = np.random.default_rng(6)
    a = np.sort(rng.choice(20000, 7000, replace=False)).astype(float)
    b = np.sort(rng.choice(20000, 9000, replace=False)).astype(float)
    dup = np.sort(np.concatenate([a, a[:50]]))  # repeated timestamps: the general route
    cases = [(a, b), (b, a), (a, a[:0]), (a[:0], b), (a[-1:], b), (dup, b), (b[::-1], a)]
    # Whole epoch seconds (one table over the span), half seconds and a long span (searchsorted).
    cases += [(a + 1.7e9, b + 1.7e9), (a + 0.5, b + 0.5), (a + 0.5, b), (a * 9, b * 9)]
    cases += [(a[:1], a[:1]), (a[-3:], a[:3]), (np.array([-5.0, 2.0]), np.array([-5.0, 3.0]))]
    for x, y in cases:
        got, ref = common_times(x, y), np.intersect1d(x, y, return_indices=True)
        for g, r in zip(got, ref, strict=True):
            assert np.array_equal(g, r)
            assert g.dtype == r.dtype


def test_short_stops_are_forgiven_as_the_add_at_form_forgave_them():
    from patrols.tracks.series import forgive_short_stops, runs

    rng = np.random.default_rng(8)
    for n in (1, 2, 50, 3000):
        for _ in range(20):
            walk = rng.random(n) < 0.6
            slow = ~walk & (rng.random(n) < 0.8)
            starts, ends = runs(slow)
            ok = (ends - starts <= 4) & (starts > 0) & (ends < n)
            ok &= walk[np.clip(starts - 1, 0, n - 1)] & walk[np.clip(ends, 0, n - 1)]
            delta = np.zeros(n + 1, dtype=np.int32)
            np.add.at(delta, starts[ok], 1)
            np.add.at(delta, ends[ok], -1)
            ref = walk | (np.cumsum(delta)[:n] > 0) if len(starts) else walk
            assert np.array_equal(forgive_short_stops(walk, slow, 4), ref)


def test_runs_are_the_padded_difference_runs():
    from patrols.tracks.series import runs

    rng = np.random.default_rng(4)
    for n in (0, 1, 2, 3, 50, 3000):
        for p in (0.0, 0.3, 0.7, 1.0):
            mask = rng.random(n) < p
            change = np.diff(np.concatenate(([False], mask, [False])).astype(np.int8))
            starts, ends = runs(mask)
            assert np.array_equal(starts, np.flatnonzero(change == 1)) and starts.dtype == np.intp
            assert np.array_equal(ends, np.flatnonzero(change == -1)) and ends.dtype == np.intp


def test_summarise_gives_what_the_full_sort_gave():
    """Repeated (segment, time) matches leave before the sort: same metres, passes, last time."""
    import shapely

    from patrols.walked_coverage import SegmentSamples, Walked, summarise

    rng = np.random.default_rng(9)
    lines = shapely.linestrings(rng.uniform(0, 500, (40, 3, 2)))
    samples = SegmentSamples.build(np.arange(40) + 100, lines, 5.0)
    # Whole seconds over a short span (one scatter over segment × second), over a long one (one
    # int64 key sort), and other times (lexsort), epoch-sized and not.
    cases = [(0, 0.0, 20000), (1, 0.0, 20000), (7, 0.0, 20000), (5000, 0.0, 20000)]
    cases += [(5000, 1.7e9, 20000), (5000, 0.25, 20000), (1, 1.7e9, 2000), (7, 1.7e9, 2000)]
    cases += [(5000, 1.7e9, 2000), (5000, 0.0, 3000), (5000, 0.25, 2000)]
    for n, shift, span in cases:
        piece = rng.integers(0, samples.n_samples, n)
        piece[1::2] = np.minimum(piece[::2][: len(piece[1::2])] + 1, samples.n_samples - 1)
        time = np.repeat(np.sort(rng.integers(0, span, (n + 2) // 3)).astype(float), 3)[:n]
        time += shift
        if n == 5000:  # the second member's seconds again, after the first's
            time[2500:] = time[:2500]
        walked = Walked(piece, time)
        got = summarise(samples, walked, 600.0)
        # The form before: every match sorted by (segment, time).
        seg = samples.sample_seg[piece]
        order = np.lexsort((time, seg))
        seg, tm = seg[order], time[order]
        new = np.ones(len(seg), dtype=bool)
        new[1:] = (seg[1:] != seg[:-1]) | (np.diff(tm) > 600.0)
        is_last = np.ones(len(seg), dtype=bool)
        is_last[:-1] = seg[1:] != seg[:-1]
        last = np.full(40, np.nan)
        last[seg[is_last]] = tm[is_last]
        assert np.array_equal(got.patrols, np.bincount(seg[new], minlength=40))
        assert np.array_equal(got.last_time, last, equal_nan=True)
        assert np.array_equal(got.covered, np.unique(piece))
        covered = np.unique(piece)
        walked_m = np.bincount(
            samples.sample_seg[covered], weights=samples.sample_len[covered], minlength=40
        )
        assert np.array_equal(got.walked_m, walked_m)


def _resample_reference(t, x, y, grid, gap_tolerance_s):
    """`resample` as it was before issue 18's last pass (with its own tests of idx)."""
    n = len(t)
    idx = np.searchsorted(t, grid, side="right") - 1
    i0 = np.maximum(idx, 0)
    i1 = np.minimum(idx + 1, n - 1)
    dt = t[i1] - t[i0]
    exact = (idx >= 0) & (t[i0] == grid)
    between = (idx >= 0) & (idx + 1 < n) & (dt > 0) & (dt <= gap_tolerance_s)
    valid = exact | between
    w = np.where(between, (grid - t[i0]) / np.where(dt > 0, dt, 1.0), 0.0)
    xg = np.where(valid, x[i0] + w * (x[i1] - x[i0]), np.nan)
    yg = np.where(valid, y[i0] + w * (y[i1] - y[i0]), np.nan)
    return xg, yg, valid


def test_resample_without_its_index_tests_gives_what_it_gave():
    from patrols.tracks.series import resample

    rng = np.random.default_rng(12)
    t = 1.7e9 + np.sort(rng.choice(20_000, 6000, replace=False)).astype(float)
    t[100:110] += 0.5  # fractional fixes
    x, y = rng.normal(0, 500, len(t)), rng.normal(0, 500, len(t))
    x[7] = 0.0
    y[8] = -0.0
    # The grid starts before the first fix and ends after the last, and hits fixes exactly.
    grid = np.arange(t[0] - 40, t[-1] + 40, 1.0)
    for k in (len(t), 1, 2):
        for tol in (0.0, 1.0, 60.0):
            got = resample(t[:k], x[:k], y[:k], grid, tol)
            ref = _resample_reference(t[:k], x[:k], y[:k], grid, tol)
            for a, b in zip(got, ref, strict=True):
                assert np.array_equal(a, b, equal_nan=True)
                assert np.array_equal(np.signbit(a), np.signbit(b))
    assert got[2].sum() > 0 and not got[2].all()


def test_resample_counts_whole_second_fixes_into_what_the_binary_search_gave():
    """Whole-second fixes on a whole-second grid find their last fix by counting (any step,
    grids starting before, between and after the fixes); else by searchsorted, as before. And
    only the seconds between fixes are interpolated: the same bits as interpolating all."""
    import itertools

    from patrols.tracks.series import resample

    rng = np.random.default_rng(21)
    t = 1.7e9 + np.sort(rng.choice(9000, 5000, replace=False)).astype(float)
    x, y = rng.normal(0, 500, len(t)), rng.normal(0, 500, len(t))
    xz, yz = x.copy(), y.copy()
    xz[3], yz[4] = 0.0, -0.0  # signed zeros: the full interpolation everywhere
    xn = x.copy()
    xn[5] = np.nan  # not finite (sorted_finite drops these): the same
    grids = [np.arange(t[0] - 40, t[-1] + 40, step) for step in (1.0, 2.0, 5.0, 7.0)] + [
        np.arange(t[0] + 100, t[0] + 400, 1.0),  # inside the fixes
        np.arange(t[-1] + 5, t[-1] + 50, 1.0),  # all after the last fix
        np.arange(t[0] - 50, t[0] - 5, 1.0),  # all before the first
        np.arange(t[0] - 40.5, t[-1], 1.0),  # half seconds: the binary search
        np.array([t[0] - 3.0, t[0], t[0] + 2.0, t[0] + 3.0]),  # uneven: the binary search
    ]
    for grid in grids:
        for tol in (0.0, 1.0, 60.0):
            for k, (px, py) in itertools.product((len(t), 1), [(x, y), (xz, yz), (xn, y)]):
                got = resample(t[:k], px[:k], py[:k], grid, tol)
                ref = _resample_reference(t[:k], px[:k], py[:k], grid, tol)
                for a, b in zip(got, ref, strict=True):
                    assert np.array_equal(a, b, equal_nan=True)
                    assert np.array_equal(np.signbit(a), np.signbit(b))
    full = resample(t, x, y, grids[0], 60.0)
    assert full[2].sum() > 4000 and not full[2].all()
