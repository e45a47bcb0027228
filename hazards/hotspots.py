"""Hazard hotspots: where reports concentrate beyond chance (Getis-Ord Gi*), not only a density picture.

Reports are counted on a hexagon grid in a metric CRS (the office's UTM zone), neighbours are the six
touching hexagons (binary weights, the focal cell included: Gi*), significance comes from esda's
conditional permutations (ties counted on both sides, see `tie_aware_p`), and the many simultaneous tests are corrected with Benjamini–Hochberg
(false-discovery rate). With 999 permutations the smallest attainable pseudo p-value is 0.001, so a
cell can only survive the FDR cut if enough other cells are strong too: small or empty maps are
refused rather than painted with noise.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime

import esda
import libpysal
import numpy as np
from django.utils.translation import gettext as _

from geo.geojson import feature, feature_collection
from geo.models import StreetOffice
from hazards.queries import hex_counts

DEFAULT_CELL_M = 150.0
DEFAULT_ALPHA = 0.05
DEFAULT_PERMUTATIONS = 999
MIN_REPORTS = 30
MIN_CELLS = 30


class TooFewReports(ValueError):
    """The statistic would mean nothing on this input; the message says why, in plain words."""


@dataclass
class HotspotResult:
    n_reports: int
    n_cells: int
    cell_m: float
    alpha: float
    permutations: int
    p_threshold: float  # the BH cut-off actually applied to p_sim
    counts: np.ndarray
    z: np.ndarray
    p_sim: np.ndarray
    hot: np.ndarray
    cold: np.ndarray
    hexagons: list[dict] = field(repr=False)
    centroids: np.ndarray = field(repr=False)

    def feature_collection(self) -> dict:
        feats = []
        for k, geom in enumerate(self.hexagons):
            cls = "hot" if self.hot[k] else "cold" if self.cold[k] else "ns"
            props = {
                "count": int(self.counts[k]),
                "z": round(float(self.z[k]), 3),
                "p_sim": float(self.p_sim[k]),
                "class": cls,
            }
            feats.append(feature(geom, props))
        return feature_collection(feats)


def utm_srid(lon: float, lat: float) -> int:
    """The WGS-84 UTM zone EPSG code for a point (Beijing: 32650)."""
    zone = int((lon + 180) // 6) + 1
    return (32600 if lat >= 0 else 32700) + zone


def hex_weights(centroids: np.ndarray, cell_m: float) -> libpysal.weights.W:
    """Binary contiguity of a hexagon grid: centres of touching hexagons are √3·size apart."""
    return libpysal.weights.DistanceBand(
        centroids, threshold=math.sqrt(3) * cell_m * 1.01, binary=True, silence_warnings=True
    )


def benjamini_hochberg(p: np.ndarray, alpha: float) -> tuple[np.ndarray, float]:
    """Reject mask and cut-off: the largest p_(k) with p_(k) <= k·alpha/n (0 if none)."""
    n = len(p)
    order = np.sort(p)
    ok = order <= alpha * np.arange(1, n + 1) / n
    if not ok.any():
        return np.zeros(n, dtype=bool), 0.0
    cut = float(order[np.nonzero(ok)[0].max()])
    return p <= cut, cut


def tie_aware_p(observed: np.ndarray, simulated: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Directional pseudo p-values that count ties on both sides.

    esda folds p_sim as min(#sim >= obs, P - #sim >= obs): a cell whose neighbourhood is all zeros
    has every simulation >= its value, so the "lower" side counts 0 and p_sim hits its minimum
    (1/(P+1)) although most simulations *equal* the observed value. On sparse report counts that
    paints spurious cold spots everywhere nobody reported. Counting simulations <= obs for the lower
    tail (and >= obs for the upper) keeps such cells non-significant.
    """
    perms = simulated.shape[1]
    eps = 1e-9 * max(float(np.abs(observed).max()), 1e-12)
    ge = (simulated >= observed[:, None] - eps).sum(axis=1)
    le = (simulated <= observed[:, None] + eps).sum(axis=1)
    p_hot = (ge + 1) / (perms + 1)
    p_cold = (le + 1) / (perms + 1)
    return np.minimum(p_hot, p_cold), np.where(p_hot <= p_cold, 1, -1)


def gi_star(
    y: np.ndarray,
    w: libpysal.weights.W,
    *,
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = 12345,
    alpha: float = DEFAULT_ALPHA,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]:
    """z, p, hot mask, cold mask, BH cut-off for counts `y` (esda's G_Local, star=True).

    p is esda's conditional-permutation p-value with ties counted (see `tie_aware_p`).
    """
    g = esda.G_Local(
        y.astype(float),
        w,
        transform="B",
        star=True,
        permutations=permutations,
        seed=seed,
        keep_simulations=True,
    )
    p, side = tie_aware_p(g.Gs, g.rGs)
    sig, cut = benjamini_hochberg(p, alpha)
    return g.Zs, p, sig & (side > 0), sig & (side < 0), cut


def permutations_for(n_cells: int, alpha: float) -> int:
    """Enough permutations that one very strong cell can pass Benjamini–Hochberg (1/(P+1) <= α/n).

    With 999 a map of 200 cells needs at least four cells at the minimum p before any survives.
    Capped at 9,999 for cost; on larger grids only clusters of several cells can be significant.
    """
    return int(min(9_999, max(DEFAULT_PERMUTATIONS, math.ceil(n_cells / alpha) + 1)))


def hotspots(
    office: StreetOffice,
    *,
    category_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    cell_m: float = DEFAULT_CELL_M,
    alpha: float = DEFAULT_ALPHA,
    permutations: int | None = None,
    seed: int = 12345,
    min_reports: int = MIN_REPORTS,
) -> HotspotResult:
    c = office.geom.centroid
    rows = hex_counts(
        office.id,
        srid=utm_srid(c.x, c.y),
        size_m=cell_m,
        category_id=category_id,
        start=start,
        end=end,
    )
    counts = np.array([r[5] for r in rows], dtype=float)
    n_reports = int(counts.sum())
    if n_reports < min_reports:
        raise TooFewReports(
            _(
                "所选范围内只有 %(n)d 条有效上报（不含重复、不予立案和位置存疑的上报），少于 %(min)d 条。"
                "这么少的点无法区分“聚集”与“偶然”，热点统计没有意义；请扩大时间段、合并类别，或只看密度图。"
            )
            % {"n": n_reports, "min": min_reports}
        )
    if len(rows) < MIN_CELLS:
        raise TooFewReports(
            _("街道范围只划出 %(n)d 个六边形（边长 %(m).0f 米），少于 %(min)d 个；请减小网格边长。")
            % {"n": len(rows), "m": cell_m, "min": MIN_CELLS}
        )
    centroids = np.array([(r[2], r[3]) for r in rows])
    w = hex_weights(centroids, cell_m)
    permutations = permutations or permutations_for(len(rows), alpha)
    z, p, hot, cold, cut = gi_star(counts, w, permutations=permutations, seed=seed, alpha=alpha)
    return HotspotResult(
        n_reports=n_reports,
        n_cells=len(rows),
        cell_m=cell_m,
        alpha=alpha,
        permutations=permutations,
        p_threshold=cut,
        counts=counts,
        z=z,
        p_sim=p,
        hot=hot,
        cold=cold,
        hexagons=[json.loads(r[4]) for r in rows],
        centroids=centroids,
    )
