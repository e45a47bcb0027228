"""One pair-day end to end, still without the ORM: measure → coverage of the claim → verdict."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import shapely

from geo.local_projection import LocalProjection
from patrols.evidence import Evidence, proxy_notes, uncredited_reason
from patrols.rule import Verdict, verdict
from patrols.rule_config import DEFAULT_PARAMS, RuleParams
from patrols.together import PairDayMeasurement, measure_pair_day
from patrols.tracks.series import TrackArrays
from patrols.walked_coverage import (
    SegmentCoverageResult,
    SegmentSamples,
    Walked,
    match_walk,
    pair_day_coverage,
    summarise,
)


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
    m = measure_pair_day(
        tracks, lines, day, params, projection=projection, claimed_projected=projected
    )
    samples = SegmentSamples.build(claimed_ids, projected, params.sample_step_m)
    walked, claimed = pair_day_coverage(m, samples, params)
    m.walked_length_m = float(claimed.walked_m.sum())
    return Assessment(m, verdict(m, params), claimed, walked)


@dataclass
class SegmentSet:
    """Segments projected once, with their pieces, for a run."""

    ids: np.ndarray
    projected: np.ndarray
    samples: SegmentSamples
    index: dict[int, int] = field(default_factory=dict)
    piece_start: np.ndarray | None = None

    @classmethod
    def build(
        cls, ids: np.ndarray, lines: np.ndarray, projection: LocalProjection, params: RuleParams
    ) -> SegmentSet:
        projected = projection.geometries(lines) if len(lines) else np.empty(0, dtype=object)
        samples = SegmentSamples.build(ids, projected, params.sample_step_m)
        counts = np.bincount(samples.sample_seg, minlength=len(ids))
        return cls(
            ids=ids,
            projected=projected,
            samples=samples,
            index={int(s): i for i, s in enumerate(ids)},
            piece_start=np.concatenate([[0], np.cumsum(counts)]),
        )


@dataclass
class OnSegments:
    measurement: PairDayMeasurement
    verdict: Verdict
    coverage: SegmentCoverageResult  # over all of segs (anyone's segments the pair walked)
    walked: Walked
    is_claimed: np.ndarray


def assess_on_segments(
    day: date,
    member_ids: Sequence[int],
    claimed_ids: Sequence[int],
    tracks: Mapping[int, TrackArrays],
    segs: SegmentSet,
    projection: LocalProjection,
    params: RuleParams,
    evidence: Evidence | None = None,
) -> OnSegments:
    """One pair-day against a prepared segment set (a district run, or an upload re-check with
    the segments near the walk): verdict on the claimed ones, coverage of every one walked."""
    empty = (np.zeros(0), np.zeros(0), np.zeros(0))
    tracks = {sid: tracks.get(sid, empty) for sid in member_ids}
    claimed_idx = np.array([segs.index[s] for s in claimed_ids if s in segs.index], dtype=np.int64)
    claimed_geoms = segs.projected[claimed_idx] if len(claimed_idx) else np.empty(0, dtype=object)
    m = measure_pair_day(
        tracks,
        claimed_geoms,
        day,
        params,
        projection=projection,
        claimed_projected=claimed_geoms,
        uncredited=evidence.uncredited if evidence else None,
    )
    walked = match_walk(m, segs.samples, params)
    cov = summarise(segs.samples, walked, params.pass_gap_s)
    is_claimed = np.zeros(len(segs.ids), dtype=bool)
    is_claimed[claimed_idx] = True
    m.walked_length_m = float(cov.walked_m[is_claimed].sum())
    judged = (
        verdict(
            m,
            params,
            uncredited_reason=uncredited_reason(evidence, m.seconds_not_credited / 60.0),
            notes=proxy_notes(evidence),
        )
        if evidence
        else verdict(m, params)
    )
    return OnSegments(m, judged, cov, walked, is_claimed)
