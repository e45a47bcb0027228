"""Which parts of which segments were walked: vectorised numpy + shapely, no ORM.

Each segment is cut into pieces of about `sample_step_m`; a piece is walked when a walking track
point lies within `cover_m` of its midpoint AND the walker was heading along the segment (within
`cover_angle_deg`, either direction). The heading test is what keeps a walk down a perpendicular
street from "covering" 30 m of every alley it crosses; the distance test keeps a parallel street
40 m away from counting. Walked share = walked pieces' length / segment length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from patrols.rule_config import DEFAULT_PARAMS, RuleParams
from patrols.tracks.series import hypot_within

_K = np.int64(1 << 31)


class CellIndex:
    """Points bucketed in square cells: all points within `cell` metres of a query point lie in
    its 3×3 block of cells. Pure numpy (searchsorted over sorted cell keys), which for millions of
    1 Hz track points is several times faster than building shapely points for an STRtree.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, cell: float) -> None:
        self.cell = float(cell)
        self.x, self.y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        keys = self._keys(np.floor(self.x / self.cell), np.floor(self.y / self.cell))
        self.order = np.argsort(keys, kind="stable")
        self.keys = keys[self.order]
        # Coordinates in key order: a query's candidates are then a few contiguous runs.
        self.xs, self.ys = self.x[self.order], self.y[self.order]

    @staticmethod
    def _keys(cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
        return (cx.astype(np.int64) + (1 << 30)) * _K + (cy.astype(np.int64) + (1 << 30))

    def within(
        self, px: np.ndarray, py: np.ndarray, radius: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """(query index, point index) pairs closer than radius (radius <= cell), ordered by
        query, then by cell column (x - 1, x, x + 1), cell row and point index."""
        if radius > self.cell:
            raise ValueError("radius must not exceed the cell size")
        n = len(px)
        if n == 0 or len(self.keys) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        px, py = np.asarray(px, dtype=float), np.asarray(py, dtype=float)
        fx, fy = px / self.cell, py / self.cell
        cx, cy = np.floor(fx), np.floor(fy)
        # Look up each distinct cell once (a walk stays in a cell for several seconds).
        ux, uy, inv = _distinct_cells(cx, cy)
        u = len(ux)
        # Rows y - 1, y, y + 1 of one column have consecutive keys: one run of the sorted keys.
        qx = (ux[:, None] + np.array([-1, 0, 1])[None, :]).ravel()
        qy = np.repeat(uy, 3)
        lo = np.searchsorted(self.keys, self._keys(qx, qy - 1), side="left")
        cnt = np.searchsorted(self.keys, self._keys(qx, qy + 1), side="right") - lo
        # Positions (in key order) of every cell's candidates, cell after cell.
        pos = np.repeat(lo - (np.cumsum(cnt) - cnt), cnt) + np.arange(int(cnt.sum()))
        cand = _Candidates(self.xs[pos], self.ys[pos], self.order[pos], cnt.reshape(u, 3).sum(1))
        if np.isfinite(fx).all() and np.isfinite(fy).all():
            cand, inv = cand.near_parts(fx - cx, fy - cy, ux, uy, inv, self.cell, radius)
        pc = cand.count[inv]
        # Each query's candidates: its cell's (or part's), in order. The query of each (query,
        # candidate) once, then gathers (cheaper than three repeats of per-query values).
        qi = np.repeat(np.arange(n), pc)
        k = np.arange(len(qi))
        k += (cand.start[inv] - (np.cumsum(pc) - pc))[qi]
        dx = cand.x[k]
        dx -= px[qi]
        dy = cand.y[k]
        dy -= py[qi]
        close = np.flatnonzero(hypot_within(dx, dy, radius))
        return qi[close], cand.i[k[close]]


_PARTS = 3  # a query cell's parts per side: 5 m squares of the 15 m cells


@dataclass
class _Candidates:
    """Candidate points of each query cell (or part of one), cell after cell, in lookup order."""

    x: np.ndarray
    y: np.ndarray
    i: np.ndarray
    count: np.ndarray  # per cell

    @property
    def start(self) -> np.ndarray:
        return np.cumsum(self.count) - self.count

    def near_parts(
        self,
        fx: np.ndarray,
        fy: np.ndarray,
        ux: np.ndarray,
        uy: np.ndarray,
        inv: np.ndarray,
        cell: float,
        radius: float,
    ) -> tuple[_Candidates, np.ndarray]:
        """Per part (_PARTS × _PARTS squares of a cell) holding queries: its cell's candidates
        within `radius` + half a diagonal of the square's centre, in their order; and each
        query's part. `fx`, `fy`: where in its cell each query lies (0 to 1).

        A 3×3 block of cells holds ~2.9× the points of a query's circle, that reach of a 5 m
        square's centre ~1.5×: a third fewer (query, candidate) distances for the price of one
        per (part, candidate). Only points that no query of the part is within `radius` of
        leave, so the pairs found and their order stay what the cell's candidates give."""
        s = _PARTS
        sub = (np.minimum((fx * s).astype(np.int64), s - 1) * s) + np.minimum(
            (fy * s).astype(np.int64), s - 1
        )
        key = inv * (s * s) + sub
        seen = np.zeros(len(ux) * s * s, dtype=bool)
        seen[key] = True
        parts = np.flatnonzero(seen)
        slot = np.empty(len(seen), dtype=np.int64)  # only the seen entries are read
        slot[parts] = np.arange(len(parts))
        of, sub = parts // (s * s), parts % (s * s)
        # A square's queries lie within half its diagonal of its centre (widened by m: a
        # micrometre, and far more than the rounding of coordinates).
        w = cell / s
        m = 1e-6 + 1e-12 * cell * float(np.abs(ux).max() + np.abs(uy).max() + 2)
        reach = radius + w * np.sqrt(0.5) + m
        mx = ux[of] * cell + (sub // s + 0.5) * w
        my = uy[of] * cell + (sub % s + 0.5) * w
        pc = self.count[of]
        part = np.repeat(np.arange(len(parts)), pc)
        k = np.arange(len(part))
        k += (self.start[of] - (np.cumsum(pc) - pc))[part]
        cx, cy = self.x[k], self.y[k]
        dx, dy = cx - mx[part], cy - my[part]
        keep = np.flatnonzero(dx * dx + dy * dy <= reach * reach)
        near = _Candidates(
            cx[keep], cy[keep], self.i[k[keep]], np.bincount(part[keep], minlength=len(parts))
        )
        return near, slot[key]


def _distinct_cells(cx: np.ndarray, cy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (cx, cy) cells, ordered by cx then cy (as their CellIndex keys sort), and
    each query's place among them: `np.unique` of the keys, by one scatter over the queries'
    bounding box of cells when that box is small (a walk's is), instead of a sort."""
    if len(cx) and np.isfinite(cx).all() and np.isfinite(cy).all():
        x0, y0 = cx.min(), cy.min()
        ix, iy = (cx - x0).astype(np.int64), (cy - y0).astype(np.int64)
        h = int(iy.max()) + 1
        size = (int(ix.max()) + 1) * h
        if size <= 4 * len(cx) + 4096:
            dense = ix * h + iy
            seen = np.zeros(size, dtype=bool)
            seen[dense] = True
            cells = np.flatnonzero(seen)
            slot = np.empty(size, dtype=np.int64)  # only the seen entries are read
            slot[cells] = np.arange(len(cells))
            return (cells // h).astype(float) + x0, (cells % h).astype(float) + y0, slot[dense]
    keys = CellIndex._keys(cx, cy)
    _, first, inv = np.unique(keys, return_index=True, return_inverse=True)
    return cx[first], cy[first], inv.ravel()


def _points_along(
    lines_m: np.ndarray, line: np.ndarray, dist: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Point at `dist` metres along `lines_m[line]`, and the unit direction of the line there.

    One searchsorted over all vertices' running distance instead of shapely's per-point
    interpolation: a district's million pieces in a fraction of a second.
    """
    n = len(dist)
    if n == 0:
        z = np.zeros(0)
        return z, z, z, z
    coords, owner = shapely.get_coordinates(lines_m, return_index=True)
    ex, ey = np.diff(coords[:, 0]), np.diff(coords[:, 1])
    same = owner[1:] == owner[:-1]
    elen = np.where(same, np.hypot(ex, ey), 0.0)  # the hop to the next line has no length
    cum = np.concatenate([[0.0], np.cumsum(elen)])
    first_vertex = np.searchsorted(owner, np.arange(len(lines_m)))
    target = cum[first_vertex][line] + dist
    # Last vertex at or before the target: skips zero-length edges, and stays inside the line
    # because dist < the line's length.
    k = np.clip(np.searchsorted(cum, target, side="right") - 1, 0, len(elen) - 1)
    ok = elen[k] > 0
    f = np.where(ok, (target - cum[k]) / np.where(ok, elen[k], 1.0), 0.0)
    start = np.where(ok, k, first_vertex[line])  # a zero-length line: its first vertex
    mx = coords[start, 0] + f * np.where(ok, ex[k], 0.0)
    my = coords[start, 1] + f * np.where(ok, ey[k], 0.0)
    norm = np.where(ok, elen[k], 1.0)
    tx = np.where(ok, ex[k] / norm, 1.0)
    ty = np.where(ok, ey[k] / norm, 0.0)
    return mx, my, tx, ty


@dataclass
class SegmentSamples:
    """Pieces of a set of (projected) segments, indexed for point queries."""

    segment_ids: np.ndarray  # (n_seg,) database ids (or any labels)
    lengths_m: np.ndarray  # (n_seg,)
    sample_seg: np.ndarray  # (n_samples,) index into segment_ids
    sample_len: np.ndarray  # (n_samples,) metres each piece stands for
    tx: np.ndarray  # unit tangent of the segment at each piece
    ty: np.ndarray
    sx: np.ndarray  # piece midpoints, metres
    sy: np.ndarray
    grid: CellIndex

    @classmethod
    def build(
        cls,
        segment_ids: Sequence[int] | np.ndarray,
        lines_m: np.ndarray,
        step_m: float = 5.0,
        cell_m: float = 15.0,
    ) -> SegmentSamples:
        """`lines_m`: shapely LineStrings already projected to metres."""
        lines_m = np.asarray(lines_m, dtype=object)
        ids = np.asarray(segment_ids)
        lengths = shapely.length(lines_m) if len(lines_m) else np.zeros(0)
        counts = np.maximum(1, np.ceil(lengths / step_m)).astype(np.int64)
        seg = np.repeat(np.arange(len(lines_m)), counts)
        # k-th piece of n: midpoint at (k + 0.5) / n of the length.
        offsets = np.arange(len(seg)) - np.repeat(np.cumsum(counts) - counts, counts)
        piece = lengths[seg] / counts[seg]
        dist = (offsets + 0.5) * piece
        mx, my, tx, ty = _points_along(lines_m, seg, dist)
        return cls(
            segment_ids=ids,
            lengths_m=lengths,
            sample_seg=seg,
            sample_len=piece,
            tx=tx,
            ty=ty,
            sx=mx,
            sy=my,
            grid=CellIndex(mx, my, cell_m),
        )

    @property
    def n_samples(self) -> int:
        return len(self.sample_seg)


@dataclass
class Walked:
    """Raw matches of walking track points to segment pieces: (piece index, time)."""

    sample: np.ndarray
    time: np.ndarray

    @classmethod
    def empty(cls) -> Walked:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0))

    @classmethod
    def concat(cls, parts: Sequence[Walked]) -> Walked:
        if not parts:
            return cls.empty()
        return cls(
            np.concatenate([p.sample for p in parts]), np.concatenate([p.time for p in parts])
        )


def match_walking_points(
    samples: SegmentSamples,
    t: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    vx: np.ndarray,
    vy: np.ndarray,
    params: RuleParams = DEFAULT_PARAMS,
    stride: int = 3,
) -> Walked:
    """Pieces near walking points whose heading runs along the piece.

    Points are taken every `stride` seconds: at walking pace (<= 2.5 m/s) that is <= 7.5 m apart,
    so every 5 m piece along the walk has a point within 3.75 m along-track of it, well inside the
    15 m matching radius; a third of the lookups.
    """
    if samples.n_samples == 0 or len(t) == 0:
        return Walked.empty()
    t, x, y, vx, vy = t[::stride], x[::stride], y[::stride], vx[::stride], vy[::stride]
    return _match(samples, t, x, y, vx, vy, np.hypot(vx, vy), params)


def match_walk(
    measurement, samples: SegmentSamples, params: RuleParams = DEFAULT_PARAMS, stride: int = 3
) -> Walked:
    """`match_walking_points(samples, *walking_points(measurement), params, stride)`, gathering
    only the points it takes (every `stride`-th of the members' walking seconds, concatenated)
    and their speeds as the measurement has them (`hypot(vx, vy)`, as it would compute them)."""
    if samples.n_samples == 0:
        return Walked.empty()
    parts, taken, grid = [], 0, measurement.grid
    for s in measurement.members:
        at = np.flatnonzero(_moving(s))
        pick = at[(-taken) % stride :: stride]  # the places [::stride] of the concatenation hits
        taken += len(at)
        parts.append((grid[pick], s.x[pick], s.y[pick], s.vx[pick], s.vy[pick], s.speed[pick]))
    if taken == 0:
        return Walked.empty()
    t, x, y, vx, vy, speed = (np.concatenate(c) for c in zip(*parts, strict=True))
    return _match(samples, t, x, y, vx, vy, speed, params)


def _match(
    samples: SegmentSamples,
    t: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    vx: np.ndarray,
    vy: np.ndarray,
    speed: np.ndarray,
    params: RuleParams,
) -> Walked:
    speed = np.maximum(speed, 1e-9)  # per point, before the gather: same values
    pt, sm = samples.grid.within(x, y, params.cover_m)
    if len(pt) == 0:
        return Walked.empty()
    cos = np.abs(vx[pt] * samples.tx[sm] + vy[pt] * samples.ty[sm]) / speed[pt]
    along = np.flatnonzero(cos >= np.cos(np.radians(params.cover_angle_deg)))
    return Walked(sm[along].astype(np.int64, copy=False), t[pt[along]])


@dataclass
class SegmentCoverageResult:
    segment_ids: np.ndarray
    lengths_m: np.ndarray
    walked_m: np.ndarray
    patrols: np.ndarray  # number of separate passes
    last_time: np.ndarray  # epoch seconds, NaN if never
    # Sorted distinct pieces walked (indices into the samples): the covered bits, found once.
    covered: np.ndarray | None = None

    @property
    def share(self) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(
                self.lengths_m > 0, np.minimum(1.0, self.walked_m / self.lengths_m), 0.0
            )

    def restrict(self, mask: np.ndarray) -> SegmentCoverageResult:
        return SegmentCoverageResult(
            self.segment_ids[mask],
            self.lengths_m[mask],
            self.walked_m[mask],
            self.patrols[mask],
            self.last_time[mask],
        )


def distinct(values: np.ndarray, bound: int) -> np.ndarray:
    """`np.unique(values)` for integers in [0, bound) with many repeats (a walk matches the same
    pieces again and again): one scatter and one gather instead of a sort of every value."""
    values = np.asarray(values, dtype=np.int64)
    if len(values) == 0:
        return values
    # Any of a value's positions wins the scatter; exactly that one position reads itself back.
    # np.empty: only the written entries are read (and only their pages are touched).
    at = np.arange(len(values))
    slot = np.empty(bound, dtype=np.int64)
    slot[values] = at
    return np.sort(values[slot[values] == at])


def summarise(samples: SegmentSamples, walked: Walked, pass_gap_s: float) -> SegmentCoverageResult:
    """Per segment: walked metres, number of passes, last walked time.

    Works on the touched pieces only, so a pair-day against a district of 10^6 pieces costs
    what the pair walked, not the district's size.
    """
    n_seg = len(samples.segment_ids)
    covered = distinct(walked.sample, samples.n_samples)
    walked_m = np.bincount(
        samples.sample_seg[covered], weights=samples.sample_len[covered], minlength=n_seg
    )
    patrols = np.zeros(n_seg, dtype=np.int64)
    last = np.full(n_seg, np.nan)
    if len(walked.sample):
        seg, tm = samples.sample_seg[walked.sample], walked.time
        # The repeats of a (segment, time) add no pass and no later time: the distinct pairs,
        # sorted, are all the passes need.
        seg, tm = _distinct_segment_times(seg, tm, samples.sample_seg[covered], n_seg)
        new = np.ones(len(seg), dtype=bool)
        new[1:] = (seg[1:] != seg[:-1]) | (np.diff(tm) > pass_gap_s)
        patrols = np.bincount(seg[new], minlength=n_seg)
        is_last = np.ones(len(seg), dtype=bool)
        is_last[:-1] = seg[1:] != seg[:-1]
        last[seg[is_last]] = tm[is_last]
    return SegmentCoverageResult(
        samples.segment_ids, samples.lengths_m, walked_m, patrols, last, covered
    )


def _distinct_segment_times(
    seg: np.ndarray, tm: np.ndarray, covered_seg: np.ndarray, n_seg: int
) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (seg, tm) pairs sorted by segment, then time (`covered_seg`: the segments
    of the distinct pieces walked, i.e. every segment in `seg`).

    Whole-second times: the walked segments ranked, and one scatter over (rank, second) and a
    flatnonzero give them, when that box is small (a pair-day's: tens of segments × its
    hours) — cheaper than compacting the matches and sorting them. Else: drop the repeats next
    to each other (a point matches several pieces of one segment) and sort."""
    first = tm.min()
    off = tm - first
    if np.isfinite(first):
        walked_segs = distinct(covered_seg, n_seg)
        span = float(off.max()) + 1
        box = span * len(walked_segs)
        if box <= 16 * len(seg) + 2**16 and np.array_equal(off, np.floor(off)):
            span_i = int(span)
            rank = np.empty(n_seg, dtype=np.int64)  # only the walked segments' entries are read
            rank[walked_segs] = np.arange(len(walked_segs))
            seen = np.zeros(int(box), dtype=bool)
            seen[rank[seg] * span_i + off.astype(np.int64)] = True
            key = np.flatnonzero(seen)
            r = key // span_i
            return walked_segs[r], (key - r * span_i) + first
    keep = np.ones(len(seg), dtype=bool)
    keep[1:] = (seg[1:] != seg[:-1]) | (tm[1:] != tm[:-1])
    return _by_segment_and_time(seg[keep], tm[keep], n_seg)


def _by_segment_and_time(
    seg: np.ndarray, tm: np.ndarray, n_seg: int
) -> tuple[np.ndarray, np.ndarray]:
    """(seg, tm) sorted by segment, then time: what `np.lexsort((tm, seg))` orders them into.

    Times on the rule's grid are whole seconds: then one sort of `seg * span + (tm - first)`
    (a single int64 key, several times cheaper than lexsort's two stable passes) gives the same
    arrays, both decoded exactly from the key (equal pairs are equal values, so the order among
    them does not show). Other times take lexsort."""
    if len(tm):
        first = tm.min()
        off = tm - first
        span = float(off.max()) + 1 if np.isfinite(first) else np.inf
        if span * max(n_seg, 1) < 2.0**62 and np.array_equal(off, np.floor(off)):
            span_i = int(span)
            key = np.sort(seg.astype(np.int64) * span_i + off.astype(np.int64))
            seg = key // span_i
            return seg, (key - seg * span_i) + first
    order = np.lexsort((tm, seg))
    return seg[order], tm[order]


def _moving(member) -> np.ndarray:
    """A member's walking seconds the matching uses: heading is noise when standing."""
    return member.walking & (member.speed >= 0.3)


def walking_points(measurement) -> tuple[np.ndarray, ...]:
    """(t, x, y, vx, vy) of every member's walking seconds of a measured pair-day, concatenated."""
    parts = []
    grid = measurement.grid
    for s in measurement.members:
        moving = _moving(s)
        parts.append((grid[moving], s.x[moving], s.y[moving], s.vx[moving], s.vy[moving]))
    if not parts:
        z = np.zeros(0)
        return z, z, z, z, z
    return tuple(np.concatenate(c) for c in zip(*parts, strict=True))


def pair_day_coverage(
    measurement, samples: SegmentSamples, params: RuleParams = DEFAULT_PARAMS
) -> tuple[Walked, SegmentCoverageResult]:
    """Coverage of `samples`' segments by one measured pair-day; fills measurement.walked_length_m
    for the segments in `samples` (call with the pair's claimed segments for the verdict)."""
    walked = match_walk(measurement, samples, params)
    result = summarise(samples, walked, params.pass_gap_s)
    return walked, result
