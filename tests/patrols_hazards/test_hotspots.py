"""Gi* hotspots on a planted cluster, on complete spatial randomness, and against esda directly.

The test office is 0.02° × 0.01° (≈1.7 km × 1.1 km); 60 m hexagons give ≈200 cells.
"""

from __future__ import annotations

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pytest
from django.utils import timezone
from shapely.geometry import Point as SPoint
from shapely.geometry import shape

from patrols.hazard_models import HazardReport
from patrols.hotspots import TooFewReports, benjamini_hochberg, hotspots

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
    disk = rng.normal(0, 1, (60, 2)) * [0.0003, 0.0002] + CENTRE  # σ ≈ 25 m
    _put(office, np.r_[_uniform(rng, 100), disk])
    res = hotspots(office, cell_m=CELL, seed=1)
    assert res.n_reports == 160 and res.n_cells > 150
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
    # Counts by point-in-polygon in Python on the returned hexagons (not PostGIS).
    hexes = gpd.GeoSeries([shape(h) for h in res.hexagons], crs=4326)
    pts = gpd.GeoSeries([SPoint(x, y) for x, y in xy], crs=4326)
    joined = gpd.sjoin(gpd.GeoDataFrame(geometry=pts), gpd.GeoDataFrame(geometry=hexes))
    y = np.bincount(joined["index_right"].to_numpy(), minlength=len(hexes)).astype(float)
    assert (y == res.counts).all()
    # Weights from polygon contiguity in metres (not centroid distances).
    metric = gpd.GeoDataFrame(geometry=hexes.to_crs(32650))
    w = libpysal.weights.fuzzy_contiguity(metric, buffering=True, buffer=1.0, silence_warnings=True)
    g = esda.G_Local(y, w, transform="B", star=True, permutations=999, seed=99)
    np.testing.assert_allclose(res.z, g.Zs)
    np.testing.assert_allclose(res.p_sim, g.p_sim)
    sig, _cut = benjamini_hochberg(g.p_sim, 0.05)
    assert ((sig & (g.Zs > 0)) == res.hot).all()


def test_too_few_reports_is_refused_with_an_explanation():
    office = make_office()
    _put(office, _uniform(np.random.default_rng(1), 12))
    _put(office, _uniform(np.random.default_rng(2), 40), status="duplicate")  # not counted
    with pytest.raises(TooFewReports, match="12 条"):
        hotspots(office, cell_m=CELL)


def test_benjamini_hochberg_matches_the_textbook_example():
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.5])
    sig, cut = benjamini_hochberg(p, 0.05)
    # sorted 0.005,0.01,0.03,0.04,0.5 vs 0.01,0.02,0.03,0.04,0.05: k=4
    assert cut == 0.04 and sig.tolist() == [True, True, True, True, False]
