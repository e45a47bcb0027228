"""Hazard hotspots: where reports concentrate beyond chance (Getis-Ord Gi*), not only a density picture.

Reports are counted on a hexagon grid in a metric CRS (the office's UTM zone), neighbours are the six
touching hexagons (binary weights, the focal cell included: Gi*), significance comes from esda's
conditional permutations (same draws, ties counted on both sides; computed in bounded memory by
`hazards.gi_star`), and the many simultaneous tests are corrected with Benjamini–Hochberg
(false-discovery rate). With 999 permutations the smallest attainable pseudo p-value is 0.001, so a
cell can only survive the FDR cut if enough other cells are strong too: small or empty maps are
refused rather than painted with noise.

Cost is bounded at any office size: at most MAX_CELLS hexagons (a larger extent gets a larger
hexagon, and the answer says so), at most WORK_BUDGET cell-permutations, and answers are kept in
HotspotCache until the office's reports change. An uncached run above ALLEY_HOTSPOT_SYNC_WORK
cells × permutations is a job (hazards.tasks) when the caller can wait for one (API: 202).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from geo.models import StreetOffice
from hazards.gi_star import gi_star, hex_neighbours
from hazards.models import HotspotCache
from hazards.queries import hex_counts, hotspot_inputs_fingerprint, office_area_m2

DEFAULT_CELL_M = 150.0
DEFAULT_ALPHA = 0.05
DEFAULT_PERMUTATIONS = 999
MIN_REPORTS = 30
MIN_CELLS = 30
# 50,000 hexagons × 999 permutations takes a few seconds and < 200 MB here (bench/hotspots.py);
# larger extents get larger hexagons, smaller grids may spend the same work on more permutations.
MAX_CELLS = 50_000
WORK_BUDGET = MAX_CELLS * DEFAULT_PERMUTATIONS
HEX_AREA_PER_EDGE2 = 1.5 * math.sqrt(3)  # a hexagon of edge s covers 3√3/2 · s²


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
    hexagon_json: list[str] = field(repr=False)  # GeoJSON text as PostGIS wrote it
    centroids: np.ndarray = field(repr=False)
    cell_m_requested: float = 0.0
    cell_note: str = ""

    @property
    def hexagons(self) -> list[dict]:
        return [json.loads(h) for h in self.hexagon_json]

    def _properties(self) -> list[str]:
        # Formatted text, not json.dumps per cell (5x faster at 50,000 cells); non-finite z → null.
        classes = np.where(self.hot, "hot", np.where(self.cold, "cold", "ns")).tolist()
        z = [repr(v) if math.isfinite(v) else "null" for v in np.round(self.z, 3).tolist()]
        return [
            f'{{"count":{c},"z":{zz},"p_sim":{p!r},"class":"{k}"}}'
            for c, zz, p, k in zip(
                self.counts.astype(int).tolist(), z, self.p_sim.tolist(), classes, strict=True
            )
        ]

    def feature_collection_json(self) -> str:
        """The cells as GeoJSON text, spliced from PostGIS's geometry text: at 50,000 cells parsing
        every hexagon into dicts and dumping them again took seconds and ~200 MB."""
        feats = ",".join(
            f'{{"type":"Feature","geometry":{g},"properties":{p}}}'
            for g, p in zip(self.hexagon_json, self._properties(), strict=True)
        )
        return f'{{"type":"FeatureCollection","features":[{feats}]}}'


def utm_srid(lon: float, lat: float) -> int:
    """The WGS-84 UTM zone EPSG code for a point (Beijing: 32650)."""
    zone = int((lon + 180) // 6) + 1
    return (32600 if lat >= 0 else 32700) + zone


def permutations_for(n_cells: int, alpha: float) -> int:
    """Enough permutations that one very strong cell can pass Benjamini–Hochberg (1/(P+1) <= α/n).

    With 999 a map of 200 cells needs at least four cells at the minimum p before any survives.
    Capped at 9,999, and at WORK_BUDGET / n (never below 999) so a large grid stays within the time
    a 50,000-cell grid at 999 takes; on large grids only clusters of several cells can be significant.
    """
    wanted = min(9_999, math.ceil(n_cells / alpha) + 1, WORK_BUDGET // max(n_cells, 1))
    return int(max(DEFAULT_PERMUTATIONS, wanted))


def cell_size_for(area_m2: float, requested_m: float) -> tuple[float, int]:
    """The hexagon edge to use and the cell count the requested edge would give (≈ area / hexagon)."""
    estimate = int(area_m2 / (HEX_AREA_PER_EDGE2 * requested_m**2))
    if estimate <= MAX_CELLS:
        return requested_m, estimate
    # Round up to whole 5 m so the note reads well; 2 % margin for cells cut by the boundary.
    edge = math.sqrt(area_m2 / (HEX_AREA_PER_EDGE2 * MAX_CELLS)) * 1.02
    return float(math.ceil(edge / 5) * 5), estimate


def _grid(office: StreetOffice, srid: int, cell_m: float, **filters) -> tuple[list, float, str]:
    """hex_counts rows at `cell_m`, or at the enlarged edge that keeps them <= MAX_CELLS."""
    used, estimate = cell_size_for(office_area_m2(office.id, srid=srid), cell_m)
    rows = hex_counts(office.id, srid=srid, size_m=used, **filters)
    while len(rows) > MAX_CELLS:  # the estimate missed (odd shapes): grow 5 % until it fits
        used = float(math.ceil(used * 1.05 / 5) * 5)
        rows = hex_counts(office.id, srid=srid, size_m=used, **filters)
    note = ""
    if used != cell_m:
        note = _(
            "按 %(req).0f 米边长，本街道范围约有 %(est)s 个六边形，超过上限 %(max)s 个；"
            "为在几秒内完成置换检验，六边形边长已自动放大到 %(used).0f 米。"
        ) % {"req": cell_m, "est": f"{estimate:,}", "max": f"{MAX_CELLS:,}", "used": used}
    return rows, used, note


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
    rows, used, note = _grid(
        office, utm_srid(c.x, c.y), cell_m, category_id=category_id, start=start, end=end
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
            % {"n": len(rows), "m": used, "min": MIN_CELLS}
        )
    centroids = np.array([(r[2], r[3]) for r in rows])
    adj = hex_neighbours(centroids, used)
    permutations = permutations or permutations_for(len(rows), alpha)
    z, p, hot, cold, cut = gi_star(counts, adj, permutations=permutations, seed=seed, alpha=alpha)
    return HotspotResult(
        n_reports=n_reports,
        n_cells=len(rows),
        cell_m=used,
        alpha=alpha,
        permutations=permutations,
        p_threshold=cut,
        counts=counts,
        z=z,
        p_sim=p,
        hot=hot,
        cold=cold,
        hexagon_json=[r[4] for r in rows],
        centroids=centroids,
        cell_m_requested=cell_m,
        cell_note=note,
    )


def _payload_json(res: HotspotResult) -> str:
    head = {
        "method": "Getis-Ord Gi* (esda.G_Local, star=True, binary hexagon contiguity)",
        "n_reports": res.n_reports,
        "n_cells": res.n_cells,
        "cell_m": res.cell_m,
        "cell_m_requested": res.cell_m_requested,
        "cell_note": res.cell_note,
        "max_cells": MAX_CELLS,
        "alpha": res.alpha,
        "permutations": res.permutations,
        "correction": "Benjamini-Hochberg FDR",
        "p_threshold": res.p_threshold,
        "n_hot": int(res.hot.sum()),
        "n_cold": int(res.cold.sum()),
    }
    return json.dumps(head)[:-1] + ',"cells":' + res.feature_collection_json() + "}"


def estimated_work(office: StreetOffice, cell_m: float, alpha: float) -> int:
    """Cells × permutations a run would take, from the office's area alone (one cheap query)."""
    c = office.geom.centroid
    _used, estimate = cell_size_for(office_area_m2(office.id, srid=utm_srid(c.x, c.y)), cell_m)
    cells = max(min(estimate, MAX_CELLS), 1)
    return cells * permutations_for(cells, alpha)


def hotspot_answer(
    office: StreetOffice,
    *,
    category_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    cell_m: float = DEFAULT_CELL_M,
    alpha: float = DEFAULT_ALPHA,
    run_later: Callable[[], dict] | None = None,
) -> tuple[str, int]:
    """The API/page answer (JSON text, HTTP status), from HotspotCache while the reports are unchanged.

    Text, not a dict: a cached answer of 50,000 cells (~15 MB) goes out as stored, unparsed.

    Refusals (422) are not cached: they cost one counting query. The note is stored in the language
    of the request that computed it, so the cache key includes the language.

    With `run_later`, an uncached run above ALLEY_HOTSPOT_SYNC_WORK cells × permutations is not
    computed here: `run_later()` enqueues it (the job fills the cache) and its answer goes out as 202.
    """
    key = hashlib.sha256(
        json.dumps(
            [category_id, str(start), str(end), cell_m, alpha, get_language()], sort_keys=True
        ).encode()
    ).hexdigest()
    inputs = hotspot_inputs_fingerprint(office.id)
    hit = HotspotCache.objects.filter(street_office=office, params=key, inputs=inputs).first()
    if hit is not None:
        return _with({"cached": True, "computed_at": hit.computed_at.isoformat()}, hit.body), 200
    if (
        run_later is not None
        and estimated_work(office, cell_m, alpha) > settings.ALLEY_HOTSPOT_SYNC_WORK
    ):
        return json.dumps(run_later()), 202
    t0 = time.perf_counter()
    try:
        res = hotspots(
            office, category_id=category_id, start=start, end=end, cell_m=cell_m, alpha=alpha
        )
    except TooFewReports as e:
        return json.dumps({"detail": str(e), "refused": True}), 422
    body = _payload_json(res)
    seconds = time.perf_counter() - t0
    HotspotCache.objects.bulk_create(
        [HotspotCache(street_office=office, params=key, inputs=inputs, body=body, seconds=seconds)],
        update_conflicts=True,
        unique_fields=["street_office", "params"],
        update_fields=["inputs", "body", "seconds", "computed_at"],
    )
    # Answers computed before the reports changed can never be hit again.
    HotspotCache.objects.filter(street_office=office).exclude(inputs=inputs).delete()
    return _with({"cached": False, "seconds": round(seconds, 3)}, body), 200


def _with(extra: dict, body: str) -> str:
    """`body` (a JSON object's text) with `extra`'s keys in front, without parsing it."""
    return json.dumps(extra)[:-1] + "," + body[1:]
