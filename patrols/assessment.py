"""One pair-day end to end, still without the ORM: measure → coverage of the claim → verdict."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import shapely

from grids.coverage import SegmentCoverageResult, SegmentSamples, Walked, pair_day_coverage
from patrols.rule import Verdict, verdict
from patrols.rule_config import DEFAULT_PARAMS, RuleParams
from patrols.together import LocalProjection, PairDayMeasurement, TrackArrays, measure_pair_day


@dataclass
class Assessment:
    measurement: PairDayMeasurement
    verdict: Verdict
    claimed: SegmentCoverageResult
    walked: Walked


def assess_pair_day(
    tracks: Mapping[int, TrackArrays],
    claimed_ids: Sequence[int],
    claimed_lines: Sequence[shapely.Geometry],
    day: date,
    params: RuleParams = DEFAULT_PARAMS,
    *,
    projection: LocalProjection | None = None,
) -> Assessment:
    """`claimed_lines` in lon/lat (WGS-84), aligned with `claimed_ids`."""
    lines = np.asarray(claimed_lines, dtype=object)
    if projection is None:
        pts = [np.asarray(tr[1]) for tr in tracks.values()] + [np.zeros(0)]
        lats = [np.asarray(tr[2]) for tr in tracks.values()] + [np.zeros(0)]
        lon, lat = np.concatenate(pts), np.concatenate(lats)
        if len(lon) == 0 and len(lines):
            coords = shapely.get_coordinates(lines)
            lon, lat = coords[:, 0], coords[:, 1]
        projection = LocalProjection.around(lon, lat) if len(lon) else LocalProjection(116.4, 39.9)
    projected = projection.geometries(lines) if len(lines) else np.empty(0, dtype=object)
    m = measure_pair_day(tracks, lines, day, params, projection=projection, claimed_projected=projected)
    samples = SegmentSamples.build(claimed_ids, projected, params.sample_step_m)
    walked, claimed = pair_day_coverage(m, samples, params)
    m.walked_length_m = float(claimed.walked_m.sum())
    return Assessment(m, verdict(m, params), claimed, walked)
