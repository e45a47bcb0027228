"""The claimed-area test through its grid (patrols.claimed_area) answers exactly what
`shapely.intersects_xy` on the union of the claim's buffers answers — the rule's definition —
on points on, just off and around the area's edge, for claims of several shapes."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from patrols.claimed_area import ClaimedArea
from patrols.together import claimed_area, inside_mask

D = 25.0


def _union(lines: np.ndarray) -> shapely.Geometry:
    return shapely.union_all(shapely.buffer(lines, D, quad_segs=16))


def _walk(rng: np.random.Generator, n: int, step: float, start=(0.0, 0.0)) -> np.ndarray:
    """n connected segments of a random walk (a claim along one route)."""
    heading = np.cumsum(rng.normal(0, 0.8, n + 1))
    pts = np.cumsum(np.column_stack([np.cos(heading), np.sin(heading)]) * step, axis=0)
    pts += np.asarray(start)
    return shapely.linestrings(np.stack([pts[:-1], pts[1:]], axis=1))


def _claims() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(11)
    square = [(0, 0), (120, 0), (120, 120), (0, 120), (0, 0)]
    return {
        "route": _walk(rng, 30, 35.0),
        # A loop around a block wider than the buffer: the area has a hole.
        "loop with a hole": shapely.linestrings(np.stack([square[:-1], square[1:]], axis=1)),
        "crossing streets": np.array(
            [shapely.LineString([(-200, 0), (200, 0)]), shapely.LineString([(0, -200), (0, 200)])]
            + [shapely.LineString([(-150, y), (150, y + 30)]) for y in (-90, 45, 49)]
        ),
        # Short zigzag vertices (GEOS simplifies buffer input), a zero-length segment, a repeat.
        "zigzag and degenerate": np.array(
            [
                shapely.LineString([(x, 0.2 * (-1) ** int(x)) for x in np.arange(0.0, 80, 0.7)]),
                shapely.LineString([(300, 300), (300, 300)]),
                shapely.LineString([(0, 0), (0, 60)]),
                shapely.LineString([(0, 0), (0, 60)]),
            ]
        ),
        "scattered parts": np.concatenate(
            [_walk(rng, 4, 20.0, (x, y)) for x, y in [(0, 0), (500, 40), (60, 900), (58, 960)]]
        ),
        # Spans kilometres: the grid's cells grow past CELL_M (MAX_CELLS).
        "district wide": np.concatenate([_walk(rng, 8, 30.0, (x, 0)) for x in (0, 6000)]),
    }


def _probe_points(union: shapely.Geometry, rng: np.random.Generator):
    b = shapely.bounds(union)
    rx = rng.uniform(b[0] - 40, b[2] + 40, 40_000)
    ry = rng.uniform(b[1] - 40, b[3] + 40, 40_000)
    ring = shapely.get_coordinates(shapely.boundary(union))
    # On the edges between vertices (and across ring hops, which only adds points).
    along = [ring[:-1] + f * (ring[1:] - ring[:-1]) for f in (0.13, 0.37, 0.5, 0.71, 0.94)]
    on = np.concatenate([ring, *along])
    xs, ys = [rx, on[:, 0]], [ry, on[:, 1]]
    for off in (1e-12, 1e-9, 1e-6, 1e-3, 0.05, 0.3, 1.0, 3.0, 6.0, 10.0):
        angle = rng.uniform(0, 2 * np.pi, len(on))
        xs.append(on[:, 0] + off * np.cos(angle))
        ys.append(on[:, 1] + off * np.sin(angle))
    return np.concatenate(xs), np.concatenate(ys)


@pytest.mark.parametrize("name", list(_claims()))
def test_grid_answers_exactly_what_intersects_xy_on_the_union_answers(name):
    lines = _claims()[name]
    union = _union(lines)
    x, y = _probe_points(union, np.random.default_rng(3))
    area = ClaimedArea(lines, D)
    got = area.contains_xy(x, y)
    want = shapely.intersects_xy(union, x, y)
    assert np.array_equal(got, want), f"{int((got != want).sum())} points differ"
    # Both answers occur, and the grid decided points on its own (not everything went exact).
    assert want.any() and not want.all()
    fx = np.floor((x - area.x0) / area.cell).astype(np.int64)
    fy = np.floor((y - area.y0) / area.cell).astype(np.int64)
    on = (fx >= 0) & (fx < area.nx) & (fy >= 0) & (fy < area.ny)
    decided = area.state[fx[on], fy[on]] != 0
    assert decided.sum() > 0.3 * len(x)
    assert (~decided).sum() > 0  # and the points on the edge went to the exact test


def test_holes_and_far_parts_are_their_own_regions():
    lines = _claims()["loop with a hole"]
    area = ClaimedArea(lines, D)
    # The middle of the 120 m block is 60 m from every side: outside; the street is inside.
    assert area.contains_xy(np.array([60.0, 60.0, 0.0]), np.array([60.0, 0.0, 60.0])).tolist() == [
        False,
        True,
        True,
    ]


def test_no_claim_and_invalid_seconds_are_outside():
    assert claimed_area(np.empty(0, dtype=object), D) is None
    x, y = np.array([0.0, 1.0, np.nan]), np.array([0.0, 1.0, np.nan])
    valid = np.array([True, False, False])
    assert inside_mask(x, y, valid, None).tolist() == [False] * 3
    area = claimed_area(np.array([shapely.LineString([(0, 0), (10, 0)])]), D)
    assert inside_mask(x, y, valid, area).tolist() == [True, False, False]


@pytest.mark.parametrize("distance", [0.0, -5.0, 3.0, 300.0])
def test_other_distances_give_what_the_union_gives(distance):
    lines = _claims()["crossing streets"]
    union = shapely.union_all(shapely.buffer(lines, distance, quad_segs=16))
    rng = np.random.default_rng(4)
    x, y = rng.uniform(-600, 600, 30_000), rng.uniform(-600, 600, 30_000)
    if not shapely.is_empty(union):
        ring = shapely.get_coordinates(shapely.boundary(union))
        x, y = np.concatenate([x, ring[:, 0] + 0.01]), np.concatenate([y, ring[:, 1] - 0.01])
    got = ClaimedArea(lines, distance).contains_xy(x, y)
    assert np.array_equal(got, shapely.intersects_xy(union, x, y))
    assert got.any() == (distance > 0)
