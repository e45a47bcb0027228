"""Measure one pair's local day from its members' GPS tracks: vectorised numpy + shapely, no ORM.

Each member's track (t epoch seconds UTC, lon, lat; WGS-84) is projected to metres with a local
transverse Mercator centred on the data, then linearly interpolated onto a common 1 s grid — but
only across gaps up to `gap_tolerance_s`; longer gaps are "no data". From the grid we get, per
second and member: position, smoothed speed and heading, walking or not, inside the claimed area
or not; and per second for the group: together or not. `rule.verdict()` turns the counts into a
verdict; `patrols.walked_coverage` turns the walking positions into walked shares of segments.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
import shapely

from geo.local_days import local_day_bounds_epoch
from geo.local_projection import LocalProjection
from patrols.claimed_area import ClaimedArea
from patrols.rule_config import DEFAULT_PARAMS, RuleParams
from patrols.tracks.series import (
    TrackArrays,
    forgive_short_stops,
    hypot_within,
    in_intervals,
    resample,
    runs,
    sorted_finite,
    velocity,
)


@dataclass
class MemberSeries:
    """One member's day on the common grid."""

    steward_id: int
    x: np.ndarray
    y: np.ndarray
    valid: np.ndarray
    vx: np.ndarray
    vy: np.ndarray
    speed: np.ndarray
    walking: np.ndarray
    inside: np.ndarray


@dataclass
class PairDayMeasurement:
    """What the tracks say about one pair on one local day; counts are seconds."""

    day: date
    member_ids: list[int]
    group_size: int
    step_s: int
    seconds_with_data: list[int]
    seconds_inside_walking: list[int]
    seconds_together: int = 0
    seconds_together_walking: int = 0
    seconds_together_inside: int = 0
    seconds_qualifying: int = 0
    # Close but not evidence of two people (patrols.evidence): left out of seconds_together.
    seconds_not_credited: int = 0
    longest_together_s: int = 0
    longest_together_start: float | None = None
    longest_qualifying_s: int = 0
    longest_qualifying_start: float | None = None
    first_qualifying: float | None = None
    last_qualifying: float | None = None
    slot_seconds: list[int] = field(default_factory=list)
    claimed_length_m: float = 0.0
    walked_length_m: float = 0.0
    # Not part of the stored numbers: the per-second series for coverage and inspection.
    grid: np.ndarray | None = field(default=None, repr=False)
    members: list[MemberSeries] = field(default_factory=list, repr=False)
    qualifying: np.ndarray | None = field(default=None, repr=False)
    together: np.ndarray | None = field(default=None, repr=False)

    @property
    def members_with_data(self) -> int:
        return sum(1 for s in self.seconds_with_data if s > 0)

    @property
    def walked_share(self) -> float:
        return self.walked_length_m / self.claimed_length_m if self.claimed_length_m > 0 else 0.0

    def minutes(self, seconds: int) -> float:
        return seconds / 60.0

    def numbers(self) -> dict:
        """JSON-ready numbers for storage and the API (minutes rounded down to 0.1, so that
        7,199 s is 119.9 minutes and never reads as the 120 it fell short of)."""

        def m(s: int) -> float:
            return (int(s) // 6) / 10

        extra = {}
        if self.seconds_not_credited:  # only then: other verdicts keep their numbers exactly
            extra["minutes_not_credited"] = m(self.seconds_not_credited)
        return extra | {
            "members_expected": self.group_size,
            "members_with_data": self.members_with_data,
            "member_ids": list(self.member_ids),
            "minutes_with_data": [m(s) for s in self.seconds_with_data],
            "minutes_inside_per_member": [m(s) for s in self.seconds_inside_walking],
            "minutes_together": m(self.seconds_together),
            "minutes_together_walking": m(self.seconds_together_walking),
            "minutes_together_inside": m(self.seconds_together_inside),
            "minutes_qualifying": m(self.seconds_qualifying),
            "longest_together_minutes": m(self.longest_together_s),
            "longest_together_start": self.longest_together_start,
            "longest_qualifying_minutes": m(self.longest_qualifying_s),
            "first_qualifying": self.first_qualifying,
            "last_qualifying": self.last_qualifying,
            "slot_minutes": [m(s) for s in self.slot_seconds],
            "claimed_length_m": round(self.claimed_length_m, 1),
            "walked_length_m": round(self.walked_length_m, 1),
            "walked_share": round(self.walked_share, 4),
        }


def _longest(mask: np.ndarray, grid: np.ndarray) -> tuple[int, float | None]:
    starts, ends = runs(mask)
    if len(starts) == 0:
        return 0, None
    i = int(np.argmax(ends - starts))
    return int(ends[i] - starts[i]), float(grid[starts[i]])


def claimed_area(claimed_projected: np.ndarray, distance: float) -> ClaimedArea | None:
    """The claimed lines buffered by `distance` metres, for point-in-area tests (see
    patrols.claimed_area: the union of the buffers, tested through a grid where that is certain).

    Round joins/caps with 16 segments per quarter circle: the polygon lies within 0.05 m of the
    true 25 m distance.
    """
    if len(claimed_projected) == 0:
        return None
    return ClaimedArea(claimed_projected, distance)


def inside_mask(
    x: np.ndarray, y: np.ndarray, valid: np.ndarray, area: ClaimedArea | None
) -> np.ndarray:
    """True where a valid point lies inside the claimed area (see claimed_area):
    `shapely.intersects_xy(union of the buffers, x, y)`."""
    if area is not None and valid.all():
        return area.contains_xy(x, y)
    inside = np.zeros(len(x), dtype=bool)
    if area is None or not valid.any():
        return inside
    idx = np.flatnonzero(valid)
    inside[idx] = area.contains_xy(x[idx], y[idx])
    return inside


def _near_day(
    tracks: Mapping[int, TrackArrays],
    member_ids: list[int],
    day_start: float,
    day_end: float,
    gap_tolerance_s: float,
    margin: float,
) -> list[TrackArrays]:
    """Each member's fixes near the local day, as float arrays.

    Near = within a bridged gap plus the speed window (`margin`), so the day's first and last
    seconds are interpolated and their speeds measured with the neighbouring day's fixes.
    """
    near_day: list[TrackArrays] = []
    for sid in member_ids:
        t, lon, lat = tracks[sid]
        t = np.asarray(t, dtype=float)
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        near = (t >= day_start - gap_tolerance_s - margin) & (
            t < day_end + gap_tolerance_s + margin
        )
        if near.all():  # (a day's load: all of it) the arrays as they are, not copies
            near_day.append((t, lon, lat))
        else:
            near_day.append((t[near], lon[near], lat[near]))
    return near_day


def _projection_for(
    near_day: list[TrackArrays], claimed_lines: Sequence[shapely.Geometry] | np.ndarray
) -> LocalProjection:
    """Centred on the day's fixes; on the claimed lines without fixes; else on Beijing."""
    lons = np.concatenate([c[1] for c in near_day] + [np.zeros(0)])
    lats = np.concatenate([c[2] for c in near_day] + [np.zeros(0)])
    if len(lons) == 0 and len(claimed_lines):
        b = shapely.total_bounds(np.asarray(claimed_lines, dtype=object))
        lons, lats = np.array([(b[0] + b[2]) / 2]), np.array([(b[1] + b[3]) / 2])
    return LocalProjection.around(lons, lats) if len(lons) else LocalProjection(116.4, 39.9)


def _project_claim(
    projection: LocalProjection, claimed_lines: Sequence[shapely.Geometry] | np.ndarray
) -> np.ndarray:
    """The claimed lines in the projection's metres (an empty object array for no claim)."""
    if len(claimed_lines):
        return projection.geometries(claimed_lines)
    return np.empty(0, dtype=object)


@dataclass
class _DayGrid:
    """The common time grid of a pair-day.

    `ext` is the grid extended by h steps either side so speeds at the day's edges see the
    neighbouring day's data; `core` cuts `grid` out of it; `in_day` marks the local day.
    """

    ext: np.ndarray
    core: slice
    grid: np.ndarray
    in_day: np.ndarray


def _day_grid(
    near_day: list[TrackArrays], day_start: float, day_end: float, step: int, h: int
) -> _DayGrid | None:
    """Integer multiples of the step inside the local day, over the union of the members' data.

    None when no member has data that day.
    """
    spans = [(c[0][0], c[0][-1]) for c in near_day if len(c[0])]
    if not spans:
        return None
    lo = max(day_start, min(s[0] for s in spans))
    hi = min(day_end, max(s[1] for s in spans) + step)
    lo = np.ceil(lo / step) * step
    if hi <= lo:
        return None
    ext = np.arange(lo - h * step, hi + h * step, step, dtype=float)
    core = slice(h, len(ext) - h)
    grid = ext[core]
    return _DayGrid(ext, core, grid, (grid >= day_start) & (grid < day_end))


def _member_series(
    sid: int,
    track: TrackArrays,
    projection: LocalProjection,
    day_grid: _DayGrid,
    area: ClaimedArea | None,
    params: RuleParams,
) -> MemberSeries:
    """One member on the grid: position, velocity, walking (short stops forgiven), inside."""
    step = params.grid_step_s
    t, lon, lat = track
    x, y = projection.forward(lon, lat)
    t, x, y = sorted_finite(t, x, y)
    xg, yg, valid = resample(t, x, y, day_grid.ext, params.gap_tolerance_s)
    vx, vy, speed = velocity(xg, yg, valid, params.speed_window_s, step)
    core = day_grid.core
    xg, yg, valid = xg[core], yg[core], valid[core] & day_grid.in_day
    vx, vy, speed = vx[core], vy[core], speed[core]
    with np.errstate(invalid="ignore"):
        slow = valid & (speed < params.walk_speed_min)
        walk = valid & (speed >= params.walk_speed_min) & (speed <= params.walk_speed_max)
    walk = forgive_short_stops(walk, slow, int(params.stop_tolerance_s // step))
    inside = inside_mask(xg, yg, valid, area)
    return MemberSeries(sid, xg, yg, valid, vx, vy, speed, walk, inside)


@dataclass
class _GroupMasks:
    """Per grid second: some k members together, and also all walking / inside / both."""

    together: np.ndarray
    together_walking: np.ndarray
    together_inside: np.ndarray
    qualifying: np.ndarray
    not_credited: np.ndarray


def _group_masks(
    series: list[MemberSeries],
    grid: np.ndarray,
    params: RuleParams,
    uncredited: Mapping[tuple[int, int], np.ndarray] | None = None,
) -> _GroupMasks:
    """A second counts when any `group_size` of the members with data are pairwise within
    `together_m` (for one-person groups: has data), OR-ed over every such combination.
    Two members are never "close" inside their `uncredited` intervals (patrols.evidence)."""
    n = len(grid)
    not_credited = np.zeros(n, dtype=bool)
    together = np.zeros(n, dtype=bool)
    qualifying = np.zeros(n, dtype=bool)
    together_walking = np.zeros(n, dtype=bool)
    together_inside = np.zeros(n, dtype=bool)
    k = params.group_size
    present = [s for s in series if s.valid.any()]
    if len(present) >= k:
        close: dict[tuple[int, int], np.ndarray] = {}
        for i, j in itertools.combinations(range(len(present)), 2):
            a, b = present[i], present[j]
            with np.errstate(invalid="ignore"):
                near = hypot_within(a.x - b.x, a.y - b.y, params.together_m)
            close[i, j] = a.valid & b.valid & near
            key = (min(a.steward_id, b.steward_id), max(a.steward_id, b.steward_id))
            if uncredited and key in uncredited:
                excluded = in_intervals(grid, uncredited[key])
                not_credited |= close[i, j] & excluded
                close[i, j] &= ~excluded
        combos = list(itertools.combinations(range(len(present)), k))
        for combo in combos:
            if k == 1:
                tog = present[combo[0]].valid.copy()
            else:
                tog = np.logical_and.reduce([close[p] for p in itertools.combinations(combo, 2)])
            walk_all = np.logical_and.reduce([present[i].walking for i in combo])
            inside_all = np.logical_and.reduce([present[i].inside for i in combo])
            if len(combos) == 1:  # one group (a pair, both with data): its masks are the masks
                both = tog & walk_all
                return _GroupMasks(tog, both, tog & inside_all, both & inside_all, not_credited)
            together |= tog
            together_walking |= tog & walk_all
            together_inside |= tog & inside_all
            qualifying |= tog & inside_all & walk_all
    return _GroupMasks(together, together_walking, together_inside, qualifying, not_credited)


def _slot_seconds(
    qualifying: np.ndarray, grid: np.ndarray, day: date, params: RuleParams
) -> list[int]:
    """Qualifying seconds inside each required time slot of the local day."""
    slot_seconds = []
    for slot_start, slot_end in params.slots:
        zone = ZoneInfo(params.timezone)
        a = datetime.combine(day, slot_start, tzinfo=zone).timestamp()
        b = datetime.combine(day, slot_end, tzinfo=zone).timestamp()
        slot_seconds.append(int((qualifying & (grid >= a) & (grid < b)).sum()) * params.grid_step_s)
    return slot_seconds


def _record(
    m: PairDayMeasurement,
    grid: np.ndarray,
    series: list[MemberSeries],
    masks: _GroupMasks,
    day: date,
    params: RuleParams,
) -> PairDayMeasurement:
    """Fill `m` with the second counts, longest runs, first/last qualifying second and slots."""
    step = params.grid_step_s
    together, qualifying = masks.together, masks.qualifying
    m.grid = grid
    m.members = series
    m.together = together
    m.qualifying = qualifying
    m.seconds_with_data = [int(s.valid.sum()) * step for s in series]
    m.seconds_inside_walking = [int((s.inside & s.walking).sum()) * step for s in series]
    m.seconds_together = int(together.sum()) * step
    m.seconds_not_credited = int((masks.not_credited & ~together).sum()) * step
    m.seconds_together_walking = int(masks.together_walking.sum()) * step
    m.seconds_together_inside = int(masks.together_inside.sum()) * step
    m.seconds_qualifying = int(qualifying.sum()) * step
    run, start = _longest(together, grid)
    m.longest_together_s, m.longest_together_start = run * step, start
    run, start = _longest(qualifying, grid)
    m.longest_qualifying_s, m.longest_qualifying_start = run * step, start
    if qualifying.any():
        q = np.flatnonzero(qualifying)
        m.first_qualifying, m.last_qualifying = float(grid[q[0]]), float(grid[q[-1]])
    m.slot_seconds = _slot_seconds(qualifying, grid, day, params)
    return m


def measure_pair_day(
    tracks: Mapping[int, TrackArrays],
    claimed_lines: Sequence[shapely.Geometry] | np.ndarray,
    day: date,
    params: RuleParams = DEFAULT_PARAMS,
    *,
    projection: LocalProjection | None = None,
    claimed_projected: np.ndarray | None = None,
    uncredited: Mapping[tuple[int, int], np.ndarray] | None = None,
) -> PairDayMeasurement:
    """Measure one pair (members' tracks keyed by steward id) on one local day.

    `claimed_lines` are the pair's claimed segments in lon/lat; pass `claimed_projected` (in the
    same `projection`) instead when the caller has them already (district runs).
    """
    member_ids = list(tracks)
    step = params.grid_step_s
    day_start, day_end = local_day_bounds_epoch(day, params.timezone)
    h = max(1, int(round(params.speed_window_s / (2 * step))))
    margin = (h + 1) * step
    near_day = _near_day(tracks, member_ids, day_start, day_end, params.gap_tolerance_s, margin)

    if projection is None:
        projection = _projection_for(near_day, claimed_lines)
    if claimed_projected is None:
        claimed_projected = _project_claim(projection, claimed_lines)
    claimed_length = (
        float(shapely.length(claimed_projected).sum()) if len(claimed_projected) else 0.0
    )
    area = claimed_area(claimed_projected, params.inside_m)

    m = PairDayMeasurement(
        day=day,
        member_ids=member_ids,
        group_size=params.group_size,
        step_s=step,
        seconds_with_data=[0] * len(member_ids),
        seconds_inside_walking=[0] * len(member_ids),
        slot_seconds=[0] * len(params.time_slots),
        claimed_length_m=claimed_length,
    )
    day_grid = _day_grid(near_day, day_start, day_end, step, h)
    if day_grid is None:
        return m
    series = [
        _member_series(sid, track, projection, day_grid, area, params)
        for sid, track in zip(member_ids, near_day, strict=True)
    ]
    masks = _group_masks(series, day_grid.grid, params, uncredited)
    return _record(m, day_grid.grid, series, masks, day, params)
