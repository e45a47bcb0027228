"""The claimed area (claimed lines buffered by `inside_m`) and its point-in-area test, exact and
mostly without the area's polygon.

The rule's answer is `shapely.intersects_xy(union_all(buffer(lines)), x, y)` per second. Most
fixes lie far from the area's edge (a patrol walks along its lines, 25 m from the edge), and the
union of a claim's buffers costs more than all the other geometry of a pair-day, so:

* an outline of the area, one buffer of the claim's lines merged end to end (a single offset
  curve: several times cheaper than the union of per-line buffers), approximates the union's
  edge: both lie within 0.3 m of the true 25 m distance (16 segments a quarter circle: 0.03 m;
  GEOS simplifies buffer input lines by at most 1 % of the distance: 0.25 m);
* a grid of square cells (CELL_M = 4 m) over the outline marks the cells of points every half
  cell along every edge of its rings, grown by one cell each way: a ring point lies within a
  quarter cell of such a point, so at least three quarters of a cell (3 m) from any unmarked
  cell — and the union's edge at least 2.4 m (for other distances cells are at least a tenth
  of the distance wide, the edges' 2.3 % of it staying well inside that margin);
* a region of unmarked cells joined by their sides therefore holds no point of the union's edge:
  all of it is inside or all outside; one cell centre per region is tested against the outline;
* points in marked cells (near the edge) get the exact test on the union itself, which is only
  built when there are such points; points outside the grid are outside.

So every answer is the one `intersects_xy` on the union gives (tests/patrols_rule/
test_claimed_area_grid.py compares them on points on and around the edges of many claims).
"""

from __future__ import annotations

import numpy as np
import shapely
from scipy import ndimage

# Cells are this wide (metres), wider when a claim spans more than MAX_CELLS of them. The exact
# test runs on points within ~2 cells of the edge.
CELL_M = 4.0
MAX_CELLS = 250_000
_QUAD_SEGS = 16  # round joins/caps: the polygon lies within 0.05 m of the true distance


class ClaimedArea:
    """The claimed lines (metres) buffered by `distance`, with a fast exact `contains_xy`."""

    def __init__(self, lines_m: np.ndarray, distance: float) -> None:
        self.lines = np.asarray(lines_m, dtype=object)
        self.distance = float(distance)
        self._union: shapely.Geometry | None = None
        parts = shapely.get_parts(self.lines)  # (multi-lines as their lines; empties go)
        parts = parts[~shapely.is_empty(parts)]
        self.empty = len(parts) == 0
        if self.empty:
            return
        if (shapely.get_type_id(parts) == shapely.GeometryType.LINESTRING).all():
            # line_merge drops zero-length lines, whose buffer is a disc: they join as they are.
            dots = parts[shapely.length(parts) == 0]
            merged = shapely.get_parts(shapely.line_merge(shapely.multilinestrings(parts)))
            outline = shapely.buffer(
                shapely.multilinestrings(np.concatenate([merged, dots])),
                self.distance,
                quad_segs=_QUAD_SEGS,
            )
        else:  # not lines: the union itself is the outline (exact, just not cheaper)
            outline = self.union
        coords, owner = shapely.get_coordinates(
            shapely.get_parts(shapely.boundary(outline)), return_index=True
        )
        if len(coords) == 0:  # a distance <= 0: no area (the union is empty too)
            self.empty = True
            return
        lo, hi = coords.min(axis=0), coords.max(axis=0)
        span = hi - lo
        # The outline and the union differ by up to ~2.3 % of the distance; a cell keeps edges
        # 3/4 of its width from unmarked cells: at least a tenth of the distance wide.
        cell = max(
            CELL_M,
            0.1 * self.distance,
            float(np.sqrt((span[0] + 2) * (span[1] + 2) / MAX_CELLS)),
        )
        self.cell = cell
        # Two cells of margin: the outermost rows and columns stay unmarked, one outer region.
        self.x0, self.y0 = lo[0] - 2 * cell, lo[1] - 2 * cell
        self.nx = int(np.ceil(span[0] / cell)) + 5
        self.ny = int(np.ceil(span[1] / cell)) + 5
        marked = np.zeros((self.nx, self.ny), dtype=bool)
        ix, iy = self._ring_cells(coords, owner)
        marked[ix, iy] = True
        grown = _grow(marked)
        # Regions of unmarked cells joined by a side (4-connected: a ring may pass through a
        # corner shared by two diagonal cells without entering either half-open cell).
        labels, n = ndimage.label(~grown)
        flat = labels.ravel()
        some = np.empty(n + 1, dtype=np.int64)
        some[flat] = np.arange(len(flat))  # a cell of each region (whichever write wins)
        cx = self.x0 + (some[1:] // self.ny + 0.5) * cell
        cy = self.y0 + (some[1:] % self.ny + 0.5) * cell
        inside = shapely.intersects_xy(outline, cx, cy)
        # Per cell: 0 = near the edge (exact test on the union), 1 = outside, 2 = inside.
        self.state = np.concatenate([[0], np.where(inside, 2, 1)]).astype(np.int8)[labels]

    def _ring_cells(self, coords: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cells of points every half cell along every edge of the rings (`owner`: ring)."""
        same = owner[1:] == owner[:-1]
        a, b = coords[:-1][same], coords[1:][same]
        length = np.hypot(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1])
        steps = np.ceil(length / (0.5 * self.cell)).astype(np.int64) + 1
        edge = np.repeat(np.arange(len(a)), steps)
        k = np.arange(len(edge)) - np.repeat(np.cumsum(steps) - steps, steps)
        f = k / np.repeat(np.maximum(steps - 1, 1), steps)
        px = a[edge, 0] + f * (b[edge, 0] - a[edge, 0])
        py = a[edge, 1] + f * (b[edge, 1] - a[edge, 1])
        ix = np.clip(np.floor((px - self.x0) / self.cell).astype(np.int64), 0, self.nx - 1)
        iy = np.clip(np.floor((py - self.y0) / self.cell).astype(np.int64), 0, self.ny - 1)
        return ix, iy

    @property
    def union(self) -> shapely.Geometry:
        """The area as one (prepared) polygon: what the rule's answer is defined on."""
        if self._union is None:
            buffers = shapely.buffer(self.lines, self.distance, quad_segs=_QUAD_SEGS)
            self._union = shapely.union_all(buffers)
            shapely.prepare(self._union)
        return self._union

    def contains_xy(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """`shapely.intersects_xy(self.union, x, y)` (finite x, y), decided by the grid where
        that is certain."""
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        if self.empty or len(x) == 0:
            return np.zeros(len(x), dtype=bool)
        # Points off the grid read its outermost cells, which are outside (two cells of margin).
        ix = np.clip(np.floor((x - self.x0) / self.cell), 0, self.nx - 1).astype(np.intp)
        iy = np.clip(np.floor((y - self.y0) / self.cell), 0, self.ny - 1).astype(np.intp)
        state = self.state.ravel()[ix * self.ny + iy]
        out = state == 2
        near = np.flatnonzero(state == 0)
        if len(near):
            out[near] = shapely.intersects_xy(self.union, x[near], y[near])
        return out


def _grow(marked: np.ndarray) -> np.ndarray:
    """`marked` and its 8 neighbours (slices ORed: cheaper than ndimage's dilation here)."""
    rows = marked.copy()
    rows[1:] |= marked[:-1]
    rows[:-1] |= marked[1:]
    grown = rows.copy()
    grown[:, 1:] |= rows[:, :-1]
    grown[:, :-1] |= rows[:, 1:]
    return grown
