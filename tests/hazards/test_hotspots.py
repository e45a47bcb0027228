"""Gi* hotspots on a planted cluster, on complete spatial randomness, and against esda directly.

The test office is 0.02° × 0.01° (≈1.7 km × 1.1 km); 60 m hexagons give ≈200 cells.
"""

from __future__ import annotations

import json

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pytest
from django.utils import timezone
from pyproj import Transformer
from scipy.spatial import cKDTree
from shapely.geometry import Point as SPoint
from shapely.geometry import shape

from hazards.gi_star import benjamini_hochberg, tie_aware_p
from hazards.hotspots import TooFewReports, hotspots
from hazards.models import HazardReport

from .factories import make_office, pt

pytestmark = pytest.mark.django_db
CELL = 60.0
CENTRE = (116.305, 40.005)


def _put(office, xy: np.ndarray, status: str = "reported") -> None:
    cat = office.hazard_categories.get(code="clutter")
    now = timezone.now()
    HazardReport.objects.bulk_create(
        [
            HazardReport(
                street_office=office,
                category=cat,
                location=pt(float(x), float(y)),
                reporter_kind="anonymous",
                status=status,
                created_at=now,
            )
            for x, y in xy
        ]
    )


def _uniform(rng, n):
    return np.c_[rng.uniform(116.3, 116.32, n), rng.uniform(40.0, 40.01, n)]


def _metres(a, b):
    dx = (a[0] - b[0]) * 111_320 * np.cos(np.radians(40.0))
    dy = (a[1] - b[1]) * 110_574
    return float(np.hypot(dx, dy))


def test_a_planted_cluster_is_found():
    office = make_office()
    rng = np.random.default_rng(7)
    # A neighbourhood-sized cluster (σ ≈ 70 m, a few cells across) on a uniform background.
    disk = rng.normal(0, 1, (120, 2)) * [0.0008, 0.0006] + CENTRE
    _put(office, np.r_[_uniform(rng, 100), disk])
    res = hotspots(office, cell_m=CELL, seed=1)
    assert res.n_reports == 220 and res.n_cells > 150
    assert res.hot.sum() >= 3
    centres = [shape(h).centroid for h in np.array(res.hexagons, dtype=object)[res.hot]]
    # Every hot cell lies within a few cells of the planted centre.
    assert max(_metres((c.x, c.y), CENTRE) for c in centres) < 250
    assert res.p_threshold > 0 and (res.p_sim[res.hot] <= res.p_threshold).all()


def test_nothing_is_found_on_complete_spatial_randomness():
    office = make_office()
    _put(office, _uniform(np.random.default_rng(11), 300))
    res = hotspots(office, cell_m=CELL, seed=2)
    assert res.n_reports == 300
    assert res.hot.sum() == 0 and res.cold.sum() == 0
    # Without the correction some cells would have looked "significant" at 0.05.
    assert (res.p_sim <= 0.05).sum() > 0


def test_results_equal_esda_on_the_same_input_built_independently():
    office = make_office()
    rng = np.random.default_rng(3)
    xy = np.r_[_uniform(rng, 120), rng.normal(0, 1, (40, 2)) * [0.0004, 0.0003] + (116.314, 40.003)]
    _put(office, xy)
    res = hotspots(office, cell_m=CELL, seed=99)
    # Counts in Python (not PostGIS): each point goes to the nearest cell centre in UTM 50N, which
    # inside the grid is the hexagon containing it.
    hexes = gpd.GeoSeries([shape(h) for h in res.hexagons], crs=4326)
    inside = gpd.GeoSeries([SPoint(x, y) for x, y in xy], crs=4326).within(
        shape(json.loads(office.geom.geojson))
    )
    mx, my = Transformer.from_crs(4326, 32650, always_xy=True).transform(
        xy[inside, 0], xy[inside, 1]
    )
    nearest = cKDTree(res.centroids).query(np.c_[mx, my])[1]
    y = np.bincount(nearest, minlength=len(hexes)).astype(float)
    assert (y == res.counts).all()
    # and for points not in an edge sliver, that is plain point-in-hexagon:
    pip = gpd.sjoin(
        gpd.GeoDataFrame(geometry=gpd.GeoSeries([SPoint(x, y) for x, y in xy], crs=4326)),
        gpd.GeoDataFrame(geometry=hexes),
    )
    assert (pip.index.to_numpy() >= 0).all() and len(pip) >= 0.9 * len(xy)
    assert (np.bincount(pip["index_right"].to_numpy(), minlength=len(hexes)) <= y).all()
    # Weights from polygon contiguity in metres (not centroid distances).
    metric = gpd.GeoDataFrame(geometry=hexes.to_crs(32650))
    w = libpysal.weights.fuzzy_contiguity(metric, buffering=True, buffer=1.0, silence_warnings=True)
    g = esda.G_Local(y, w, transform="B", star=True, permutations=res.permutations, seed=99)
    np.testing.assert_allclose(res.z, g.Zs)
    # Our p is esda's permutation p with ties counted: recomputed from esda's own simulations it
    # matches exactly, and it is never smaller than esda's folded p_sim.
    p, side = tie_aware_p(g.Gs, g.rGs)
    np.testing.assert_allclose(res.p_sim, p)
    assert (res.p_sim >= g.p_sim - 1e-6).all()  # esda stores p_sim as float32
    no_ties = ~(np.abs(g.rGs - g.Gs[:, None]) < 1e-9).any(axis=1)
    np.testing.assert_allclose(res.p_sim[no_ties], g.p_sim[no_ties], rtol=1e-5)
    sig, _cut = benjamini_hochberg(res.p_sim, 0.05)
    assert ((sig & (side > 0)) == res.hot).all() and res.hot.any()


def test_too_few_reports_is_refused_with_an_explanation():
    office = make_office()
    _put(office, _uniform(np.random.default_rng(1), 12))
    _put(office, _uniform(np.random.default_rng(2), 40), status="duplicate")  # not counted
    with pytest.raises(TooFewReports, match="12 条"):
        hotspots(office, cell_m=CELL)


def test_an_all_zero_neighbourhood_is_not_a_cold_spot():
    """esda's folded p_sim gives such cells the minimum p; ties must keep them non-significant."""
    w = libpysal.weights.lat2W(15, 15, rook=False)
    y = np.zeros(225)
    y[:10] = np.arange(10)
    g = esda.G_Local(y, w, transform="B", star=True, permutations=99, seed=1)
    assert g.p_sim[200] == 0.01  # the artefact
    p, _side = tie_aware_p(g.Gs, g.rGs)
    assert p[200] > 0.5


def test_benjamini_hochberg_matches_the_textbook_example():
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5])
    sig, cut = benjamini_hochberg(p, 0.05)
    # sorted 0.005,0.01,0.03,0.04,0.5 vs 0.01,0.02,0.03,0.04,0.05: k=4
    assert cut == 0.04 and sig.tolist() == [True, True, True, True, False]


def test_a_grid_over_the_cell_cap_gets_larger_hexagons_and_says_so(monkeypatch):
    import hazards.hotspots as hs

    monkeypatch.setattr(hs, "MAX_CELLS", 200)
    office = make_office()
    _put(office, _uniform(np.random.default_rng(5), 120))
    res = hotspots(office, cell_m=30.0, seed=1)  # ≈ 800 cells at 30 m
    assert res.n_cells <= 200 and res.cell_m > 30.0 and res.cell_m % 5 == 0
    assert res.cell_m_requested == 30.0
    assert f"{res.cell_m:.0f} 米" in res.cell_note and "200" in res.cell_note
    # Under the cap nothing changes and nothing is said.
    res = hotspots(office, cell_m=80.0, seed=1)
    assert res.cell_m == 80.0 and res.cell_note == ""


def test_permutations_grow_for_small_grids_and_stay_within_the_work_budget():
    from hazards.hotspots import MAX_CELLS, WORK_BUDGET, permutations_for

    assert permutations_for(200, 0.05) == 4_001  # one strong cell can pass BH: 1/(P+1) <= α/n
    assert permutations_for(2_000, 0.05) == 9_999
    assert permutations_for(20_000, 0.05) == WORK_BUDGET // 20_000
    assert permutations_for(MAX_CELLS, 0.05) == 999


def test_answers_are_cached_until_the_reports_change():
    from hazards.hotspots import hotspot_answer as answer_text
    from hazards.models import HotspotCache

    def hotspot_answer(office, **kw):
        body, code = answer_text(office, **kw)
        return json.loads(body), code

    office = make_office()
    rng = np.random.default_rng(9)
    _put(office, np.r_[_uniform(rng, 100), rng.normal(0, 1, (60, 2)) * [0.0008, 0.0006] + CENTRE])
    first, code = hotspot_answer(office, cell_m=CELL)
    assert code == 200 and first["cached"] is False
    again, _ = hotspot_answer(office, cell_m=CELL)
    assert again["cached"] is True and again["cells"] == first["cells"]
    # Another parameter set is its own entry.
    assert hotspot_answer(office, cell_m=80.0)[0]["cached"] is False
    assert HotspotCache.objects.filter(street_office=office).count() == 2
    # A status change made without save() (so updated_at is untouched) still misses the cache.
    HazardReport.objects.filter(
        pk=HazardReport.objects.filter(street_office=office).first().pk
    ).update(status="rejected")
    after, _ = hotspot_answer(office, cell_m=CELL)
    assert after["cached"] is False and after["n_reports"] == first["n_reports"] - 1
    # The stale answer for the other parameters is gone; the fresh one is kept.
    assert HotspotCache.objects.filter(street_office=office).count() == 1
    _put(office, _uniform(rng, 1))
    assert hotspot_answer(office, cell_m=CELL)[0]["cached"] is False
