"""Time-series primitives on one GPS track (numpy, no ORM): cleaning, resampling onto a time grid,
velocity, runs of a condition. The patrol rule (`patrols.together`) is built from these."""

from __future__ import annotations

import numpy as np

# (t epoch seconds UTC, lon, lat) as returned by patrols.tracks.load_points, sorted by time.
TrackArrays = tuple[np.ndarray, np.ndarray, np.ndarray]


def sorted_finite(t: np.ndarray, x: np.ndarray, y: np.ndarray) -> TrackArrays:
    """Sorted, finite, one position per timestamp (GPS loggers repeat timestamps)."""
    t = np.asarray(t, dtype=float)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(t) & np.isfinite(x) & np.isfinite(y)
    if ok.all() and _increasing(t):
        # Already what the steps below make (load_points returns tracks sorted by time): one
        # check instead of a sort and a unique per member and pair-day.
        return t, x, y
    t, x, y = t[ok], x[ok], y[ok]
    order = np.argsort(t, kind="stable")
    t, x, y = t[order], x[order], y[order]
    _, first = np.unique(t, return_index=True)
    return t[first], x[first], y[first]


def resample(
    t: np.ndarray, x: np.ndarray, y: np.ndarray, grid: np.ndarray, gap_tolerance_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Linear interpolation of (x, y) at `grid` times, bridging only gaps <= gap_tolerance_s.

    `t` sorted, finite, without repeats (as `sorted_finite` returns it).

    Returns (xg, yg, valid); xg/yg are NaN where there is no data.
    """
    n = len(t)
    if n == 0:
        nan = np.full(len(grid), np.nan)
        return nan, nan.copy(), np.zeros(len(grid), dtype=bool)
    idx = _last_at_or_before(t, grid)
    i0 = np.maximum(idx, 0)  # idx <= n - 1 already
    i1 = np.minimum(idx + 1, n - 1)  # idx + 1 >= 0 already
    t0 = t[i0]
    dt = t[i1] - t0
    # Before the first fix (idx -1: t0 is the first fix, after the grid time) and from the last
    # fix on (idx n - 1) dt is 0, so neither needs a test of idx of its own.
    exact = t0 == grid
    between = (dt > 0) & (dt <= gap_tolerance_s)
    valid = exact | between
    x0, y0 = x[i0], y[i0]
    if x.all() and y.all() and np.isfinite(x).all() and np.isfinite(y).all():
        # At a fix's own second the weight is 0, and x0 + 0 * (x1 - x0) is x0 bit for bit for
        # finite coordinates but ±0 (whose sign the sum may turn: those take the full form
        # below). So only the seconds between fixes are interpolated (few, at 1 Hz).
        xg, yg = np.where(valid, x0, np.nan), np.where(valid, y0, np.nan)
        mid = np.flatnonzero(between & ~exact)
        if len(mid):
            w = (grid[mid] - t0[mid]) / dt[mid]
            xg[mid] = x0[mid] + w * (x[i1[mid]] - x0[mid])
            yg[mid] = y0[mid] + w * (y[i1[mid]] - y0[mid])
        return xg, yg, valid
    w = np.where(between, (grid - t0) / np.where(dt > 0, dt, 1.0), 0.0)
    xg = np.where(valid, x0 + w * (x[i1] - x0), np.nan)
    yg = np.where(valid, y0 + w * (y[i1] - y0), np.nan)
    return xg, yg, valid


def _last_at_or_before(t: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """`np.searchsorted(t, grid, side="right") - 1`: the last fix at or before each grid time.

    Fixes in whole seconds on a grid of whole seconds (GPS loggers' 1 Hz fixes on the rule's
    grid): by counting the fixes per grid step, one bincount and one cumsum, ~2x cheaper than
    the binary searches."""
    m = len(grid)
    if m > 1 and len(t):
        g0, step = grid[0], grid[1] - grid[0]
        whole = g0 == np.floor(g0) and step >= 1 and step == np.floor(step) and abs(g0) < 2**52
        if whole and np.array_equal(grid, g0 + step * np.arange(m)) and (np.floor(t) == t).all():
            step_i = int(step)
            d = (t - g0).astype(np.int64)  # exact: whole numbers
            # First grid index at or after each fix: the fix counts from there on.
            first = d if step_i == 1 else -((-d) // step_i)
            counts = np.bincount(np.clip(first, 0, m), minlength=m + 1)[:m]
            return np.cumsum(counts) - 1
    return np.searchsorted(t, grid, side="right") - 1


def hypot_within(dx: np.ndarray, dy: np.ndarray, radius: float) -> np.ndarray:
    """`np.hypot(dx, dy) <= radius`, decided by the squared distance (several times cheaper)
    wherever that is clear by far more than its rounding, and by hypot itself elsewhere (NaN:
    False, as hypot's NaN or inf compares)."""
    d2 = dx * dx + dy * dy
    r2 = radius * radius
    close = d2 <= r2 * (1 - 1e-9)
    maybe = d2 <= r2 * (1 + 1e-9)
    if np.count_nonzero(maybe) > np.count_nonzero(close):  # some lie on the radius, give or take
        near = np.flatnonzero(maybe & ~close)
        close[near] = np.hypot(dx[near], dy[near]) <= radius
    return close


def _fill_nearest(values: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Fill NaNs at positions `where` with the nearest earlier finite value, else the next later."""
    good = np.isfinite(values)
    if not good.any():
        return values
    fill = np.flatnonzero(where & ~good)
    out = values.copy()
    out[fill] = values[_nearest_good(good, fill)]
    return out


def _nearest_good(good: np.ndarray, at: np.ndarray) -> np.ndarray:
    """For each index in `at`: the nearest earlier index where `good`, else the next later one
    (`good` has at least one True)."""
    g = np.flatnonzero(good)
    k = np.searchsorted(g, at, side="right") - 1  # last good index at or before
    return np.where(k >= 0, g[np.maximum(k, 0)], g[0])


def _centred_difference(a: np.ndarray, h: int, span: float) -> np.ndarray:
    """(a[i + h] - a[i - h]) / span, NaN where i ± h falls outside a (one array, not two
    NaN-padded shifted copies)."""
    out = np.full(len(a), np.nan)
    if len(a) > 2 * h:
        out[h : len(a) - h] = (a[2 * h :] - a[: len(a) - 2 * h]) / span
    return out


def velocity(
    x: np.ndarray, y: np.ndarray, valid: np.ndarray, window_s: int, step_s: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centred-difference velocity over `window_s` (averages out GPS jitter): vx, vy, speed m/s."""
    h = max(1, int(round(window_s / (2 * step_s))))
    vx, vy = _centred_difference(x, h, 2 * h * step_s), _centred_difference(y, h, 2 * h * step_s)
    # The first/last h seconds of each stretch of data have no full window: borrow the neighbour's.
    vx = _fill_nearest(vx, valid)
    vy = _fill_nearest(vy, valid)
    vx[~valid] = np.nan
    vy[~valid] = np.nan
    return vx, vy, np.hypot(vx, vy)


def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start indices and (exclusive) end indices of the True runs of a boolean array."""
    mask = np.asarray(mask, dtype=bool)
    if len(mask) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    # Where the value changes, with the edges of the array as changes from False: starts and
    # ends alternate, a start first (one xor and one flatnonzero, not an int8 copy and a diff).
    change = np.flatnonzero(mask[1:] != mask[:-1]) + 1
    edges = np.concatenate(([0], change, [len(mask)]))
    if not mask[0]:
        edges = edges[1:]
    if not mask[-1]:
        edges = edges[:-1]
    return edges[0::2], edges[1::2]


def forgive_short_stops(walk: np.ndarray, slow: np.ndarray, max_len: int) -> np.ndarray:
    """Slow runs of at most max_len samples with walking on both sides count as walking."""
    starts, ends = runs(slow)
    if len(starts) == 0:
        return walk
    n = len(walk)
    ok = (ends - starts <= max_len) & (starts > 0) & (ends < n)
    ok &= walk[np.clip(starts - 1, 0, n - 1)] & walk[np.clip(ends, 0, n - 1)]
    # The forgiven runs' seconds (disjoint runs, short: not a pass over the day).
    a, length = starts[ok], ends[ok] - starts[ok]
    out = walk.copy()
    out[np.repeat(a - (np.cumsum(length) - length), length) + np.arange(int(length.sum()))] = True
    return out


def _increasing(t: np.ndarray) -> bool:
    return len(t) < 2 or bool((t[1:] > t[:-1]).all())


def common_times(ta: np.ndarray, tb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`np.intersect1d(ta, tb, return_indices=True)`: the shared timestamps and where each is
    in ta and tb. For strictly increasing inputs (tracks as load_points returns them) by one
    searchsorted instead of sorting both arrays together."""
    ta, tb = np.asarray(ta, dtype=float), np.asarray(tb, dtype=float)
    if not (_increasing(ta) and _increasing(tb)) or len(tb) == 0:
        return np.intersect1d(ta, tb, return_indices=True)
    if len(ta):
        lo, hi = min(ta[0], tb[0]), max(ta[-1], tb[-1])
        span = hi - lo + 1
        if (
            span <= 4 * (len(ta) + len(tb)) + 4096
            and max(abs(lo), abs(hi)) < 2**52
            and (np.floor(ta) == ta).all()
            and (np.floor(tb) == tb).all()
        ):
            # Whole seconds over a short span (a pair's day at 1 Hz): tb's place at each second
            # of the span, read at ta's seconds (no binary searches).
            place = np.full(int(span), -1, dtype=np.int64)
            place[(tb - lo).astype(np.int64)] = np.arange(len(tb))
            k = place[(ta - lo).astype(np.int64)]
            ia = np.flatnonzero(k >= 0)
            return ta[ia], ia, k[ia]
    k = np.minimum(np.searchsorted(tb, ta), len(tb) - 1)
    ia = np.flatnonzero(tb[k] == ta)
    return ta[ia], ia, k[ia]


def merge_intervals(iv: np.ndarray) -> np.ndarray:
    """Sorted, non-overlapping union of (k × 2) intervals."""
    if len(iv) == 0:
        return np.zeros((0, 2))
    iv = iv[np.argsort(iv[:, 0], kind="stable")]
    ends = np.maximum.accumulate(iv[:, 1])
    new = np.concatenate([[True], iv[1:, 0] > ends[:-1]])
    starts = iv[new, 0]
    last = np.concatenate([np.flatnonzero(new)[1:] - 1, [len(iv) - 1]])
    return np.column_stack([starts, ends[last]])


def in_intervals(t: np.ndarray, iv: np.ndarray) -> np.ndarray:
    """True where t lies in one of the merged intervals (closed)."""
    if len(iv) == 0:
        return np.zeros(len(t), dtype=bool)
    i = np.searchsorted(iv[:, 0], t, side="right") - 1
    ok = i >= 0
    out = np.zeros(len(t), dtype=bool)
    out[ok] = t[ok] <= iv[i[ok], 1]
    return out
