"""The bounded Gi* gives exactly the p-values of the old computation (esda's kept simulations).

The reference is the implementation hotspots used before: `esda.G_Local(..., keep_simulations=True)`
and the tie-aware p from its n × permutations matrix. Same seed, same draws, so equality is exact,
not approximate. (esda draws with numpy's legacy RandomState when numba is absent, as here; with
numba installed esda would draw differently and this reference would have to change.)
"""

from __future__ import annotations

import warnings

import esda
import libpysal
import numpy as np
import pytest

import hazards.gi_star as gs

CELL = 100.0


def _lattice(side: int) -> np.ndarray:
    col, row = np.meshgrid(np.arange(side), np.arange(side))
    return np.c_[
        col.ravel() * 1.5 * CELL, (row.ravel() + (col.ravel() % 2) / 2) * np.sqrt(3) * CELL
    ]


def _old_gi_star(y, xy, *, permutations, seed, alpha):
    """hazards.hotspots.gi_star as it was: esda with kept simulations, tie-aware p, BH."""
    w = libpysal.weights.DistanceBand(
        xy, threshold=np.sqrt(3) * CELL * 1.01, binary=True, silence_warnings=True
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = esda.G_Local(
            y,
            w,
            transform="B",
            star=True,
            permutations=permutations,
            seed=seed,
            keep_simulations=True,
        )
    p, side = gs.tie_aware_p(g.Gs, g.rGs)
    sig, cut = gs.benjamini_hochberg(p, alpha)
    return g.Zs, p, sig & (side > 0), sig & (side < 0), cut, w


def _case(side: int, seed: int, holes: float) -> tuple[np.ndarray, np.ndarray]:
    """A lattice with holes (edge cells of every cardinality, some islands) and a planted cluster."""
    rng = np.random.default_rng(seed)
    xy = _lattice(side)
    xy = xy[rng.random(len(xy)) > holes]
    y = rng.poisson(0.4, len(xy)).astype(float)
    centre = xy[len(xy) // 3]
    sigma = max(2, side // 6) * CELL
    y += rng.poisson(6 * np.exp(-((xy - centre) ** 2).sum(1) / (2 * sigma**2)))
    return xy, y


@pytest.mark.parametrize(
    ("side", "permutations", "chunk"),
    [(15, 99, 1 << 20), (15, 199, 500), (72, 999, 1 << 20), (72, 999, 20_000)],
    ids=["small", "small-many-chunks", "medium-5k-cells", "medium-many-chunks"],
)
def test_same_p_values_as_esda_kept_simulations(monkeypatch, side, permutations, chunk):
    monkeypatch.setattr(gs, "CHUNK_ELEMENTS", chunk)
    xy, y = _case(side, seed=side, holes=0.12)
    z0, p0, hot0, cold0, cut0, w = _old_gi_star(
        y, xy, permutations=permutations, seed=7, alpha=0.05
    )
    adj = gs.hex_neighbours(xy, CELL)
    assert abs(adj - w.sparse).sum() == 0  # the same neighbours as libpysal's DistanceBand
    z, p, hot, cold, cut = gs.gi_star(y, adj, permutations=permutations, seed=7, alpha=0.05)
    np.testing.assert_array_equal(p, p0)
    np.testing.assert_allclose(z, z0, rtol=1e-12)
    assert (hot == hot0).all() and (cold == cold0).all() and cut == cut0
    # The planted cluster is there, so the comparison covers strong cells, not only "ns" ones.
    assert (p <= 2 / (permutations + 1)).sum() >= 3
    assert hot.any() or permutations < 999  # BH needs more permutations on the small grids


def test_islands_and_a_different_seed_match_too():
    xy = np.r_[_lattice(12), [[5_000.0, 5_000.0], [9_000.0, 9_000.0]]]
    y = np.r_[np.random.default_rng(1).poisson(1, 144), [0, 3]].astype(float)
    _, p0, *_ = _old_gi_star(y, xy, permutations=99, seed=123, alpha=0.05)
    _, p, *_ = gs.gi_star(y, gs.hex_neighbours(xy, CELL), permutations=99, seed=123, alpha=0.05)
    np.testing.assert_array_equal(p, p0)


def test_non_integer_counts_are_refused():
    xy = _lattice(6)
    with pytest.raises(ValueError, match="integer"):
        gs.gi_star(
            np.full(36, 0.5), gs.hex_neighbours(xy, CELL), permutations=9, seed=1, alpha=0.05
        )


def test_the_draw_table_is_reused_for_the_same_grid_size_and_is_read_only():
    xy, y = _case(15, seed=15, holes=0.12)
    adj = gs.hex_neighbours(xy, CELL)
    first = gs.gi_star(y, adj, permutations=99, seed=31, alpha=0.05)
    hits = gs.permuted_ids.cache_info().hits
    # Other counts on the same grid (another category or period): same draws, from the cache.
    y2 = np.roll(y, 7)
    second = gs.gi_star(y2, adj, permutations=99, seed=31, alpha=0.05)
    assert gs.permuted_ids.cache_info().hits == hits + 1
    _, p_ref, *_ = _old_gi_star(y2, xy, permutations=99, seed=31, alpha=0.05)
    np.testing.assert_array_equal(second[1], p_ref)
    assert not np.array_equal(first[1], second[1])
    with pytest.raises(ValueError):
        gs.permuted_ids(len(y), 6, 99, 31)[0, 0] = 1
