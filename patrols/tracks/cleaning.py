"""Vectorised cleaning of parsed points into stored tracks, with a count for every decision.

Input: flat arrays in WGS-84 with the file's segment numbers. Output: continuous tracks (sorted,
de-duplicated, spikes removed, split at long gaps) and a report of what was dropped and why.
Things that make the whole file untrustworthy (bad coordinates, clock in 1901 or in the future,
no times at all) are rejected with the first offending point; things GPS does every day
(duplicates, jitter spikes, gaps) are cleaned and counted.
"""

from __future__ import annotations

import time as _time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import numpy as np
import shapely
from django.conf import settings
from django.utils.translation import gettext as _

from patrols.tracks.errors import TrackRejected
from patrols.tracks.formats import RawPoints

EARTH_RADIUS_M = 6_371_008.8
EPOCH_2000 = datetime(2000, 1, 1, tzinfo=UTC).timestamp()


@dataclass(frozen=True)
class CleaningParams:
    max_speed_ms: float = 50.0  # faster than this between two fixes is a GPS jump, not movement
    split_gap_s: float = 600.0  # a longer silence starts a new track
    far_outside_m: float = 5000.0  # points this far beyond the street office are dropped
    walk_max_ms: float = 2.5  # above this (sustained) a track is flagged as not walking
    vehicle_min_ms: float = 6.0  # median sustained speed above this: flagged as a vehicle ride
    speed_window_s: float = 30.0  # sustained speed is measured over this window (GPS noise)
    # A track's length is measured on its fixes averaged over this window and simplified to this
    # tolerance: summing raw fix-to-fix hops adds every metre of jitter (8.8 km walked read 35).
    length_smooth_s: float = 15.0
    length_tolerance_m: float = 3.0
    # A stored track spans at most this long (the track table's CHECK constraint): day queries
    # can then bound started_at on both sides and skip old monthly partitions.
    max_track_s: float = 86400.0
    future_tolerance_s: float = 600.0

    @classmethod
    def from_settings(cls) -> CleaningParams:
        overrides = getattr(settings, "ALLEY_TRACK_CLEANING", {}) or {}
        return cls(**{k: float(v) for k, v in overrides.items()})


@dataclass
class CleanTrack:
    t: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    length_m: float
    flags: list[str] = field(default_factory=list)
    median_speed_ms: float = 0.0

    @property
    def point_count(self) -> int:
        return int(self.t.size)


@dataclass
class CleaningReport:
    points_in: int = 0
    untimed_points: int = 0
    out_of_order: int = 0
    duplicate_times: int = 0
    far_outside: int = 0
    speed_spikes: int = 0
    gap_splits: int = 0
    jump_splits: int = 0  # a lasting jump: the points are kept, the track is split there
    long_track_splits: int = 0
    zero_length_tracks: int = 0
    zero_length_points: int = 0
    points_out: int = 0
    tracks_out: int = 0
    params: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def haversine_m(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cap_duration(
    t: np.ndarray, starts: np.ndarray, max_s: float, report: CleaningReport
) -> np.ndarray:
    """Split pieces longer than max_s into consecutive windows of max_s (a logger left on)."""
    if t.size < 2 or max_s <= 0:
        return starts
    piece = np.repeat(np.arange(starts.size - 1), np.diff(starts))
    if piece.size == 0:
        return starts
    window = np.floor((t - t[starts[:-1]][piece]) / max_s).astype(np.int64)
    new = np.flatnonzero((np.diff(window) != 0) & (np.diff(piece) == 0)) + 1
    if new.size == 0:
        return starts
    report.long_track_splits += int(new.size)
    return np.union1d(starts, new)


def validate(points: RawPoints, *, now: float | None = None, params: CleaningParams) -> None:
    """Reject files whose coordinates or clock cannot be trusted at all (first offender named)."""
    if points.size == 0:
        raise TrackRejected(
            _("文件中没有轨迹点：它可能只包含航点、路线或空的轨迹段，请上传设备记录的轨迹。"),
            422,
            code="not_a_track",
        )
    bad = ~(np.isfinite(points.lat) & np.isfinite(points.lon))
    bad |= (np.abs(points.lat) > 90) | (np.abs(points.lon) > 180)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise TrackRejected(
            _(
                "%(where)s：坐标超出范围（纬度 %(lat)s，经度 %(lon)s）；纬度应在 -90 到 90 之间，经度在 -180 到 180 之间。"
            )
            % {"where": points.where(i), "lat": points.lat[i], "lon": points.lon[i]},
            code="coordinates_out_of_range",
        )
    timed = np.isfinite(points.t)
    if not timed.any():
        raise TrackRejected(
            _(
                "轨迹点没有时间（共 %(n)d 个点）。巡查规则按时间计算，请在设备或应用中开启记录时间后导出。"
            )
            % {"n": points.size},
            422,
            code="no_timestamps",
        )
    early = timed & (points.t < EPOCH_2000)
    if early.any():
        i = int(np.flatnonzero(early)[0])
        raise TrackRejected(
            _("%(where)s：时间 %(time)s 早于 2000 年，设备时钟可能未校准；共有 %(n)d 个这样的点。")
            % {"where": points.where(i), "time": _iso(points.t[i]), "n": int(early.sum())},
            code="time_before_2000",
        )
    now = _time.time() if now is None else now
    future = timed & (points.t > now + params.future_tolerance_s)
    if future.any():
        i = int(np.flatnonzero(future)[0])
        raise TrackRejected(
            _("%(where)s：时间 %(time)s 在未来，设备时钟或时区设置有误；共有 %(n)d 个这样的点。")
            % {"where": points.where(i), "time": _iso(points.t[i]), "n": int(future.sum())},
            code="time_in_future",
        )


def _far_outside(
    lon: np.ndarray, lat: np.ndarray, area: shapely.Geometry, far_m: float
) -> np.ndarray:
    """Points farther than far_m from the area, measured in a local equirectangular metre plane."""
    c = area.centroid
    kx = np.cos(np.radians(c.y)) * EARTH_RADIUS_M * np.pi / 180
    ky = EARTH_RADIUS_M * np.pi / 180
    local = shapely.transform(area, lambda xy: (xy - [c.x, c.y]) * [kx, ky])
    shapely.prepare(local)
    x, y = (lon - c.x) * kx, (lat - c.y) * ky
    # Most fixes are inside the office: test those without building point geometries.
    far = ~shapely.contains_xy(local, x, y)
    if far.any():
        outside = np.flatnonzero(far)
        far[outside] = ~shapely.dwithin(local, shapely.points(x[outside], y[outside]), far_m)
    return far


def _sustained_speed(
    t: np.ndarray, lon: np.ndarray, lat: np.ndarray, window_s: float
) -> np.ndarray:
    """Speed over ≥ window_s from each point; white GPS noise makes 1-s speeds meaningless."""
    j = np.searchsorted(t, t + window_s)
    ok = j < t.size
    i = np.flatnonzero(ok)
    j = j[ok]
    if i.size == 0:
        if t.size >= 2 and t[-1] > t[0]:
            d = haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:]).sum()
            return np.array([d / (t[-1] - t[0])])
        return np.empty(0)
    return haversine_m(lon[i], lat[i], lon[j], lat[j]) / (t[j] - t[i])


def walked_length_m(
    t: np.ndarray, lon: np.ndarray, lat: np.ndarray, smooth_s: float, tolerance_m: float
) -> float:
    """The length a person walked along one track: each fix replaced by the mean of the fixes
    within ±smooth_s/2 (running sums, no loop), then Douglas–Peucker at tolerance_m in a local
    metre plane. Jitter and standing still add almost nothing; corners are kept."""
    if t.size < 2:
        return 0.0
    kx = np.cos(np.radians(float(np.mean(lat)))) * EARTH_RADIUS_M * np.pi / 180
    ky = EARTH_RADIUS_M * np.pi / 180
    xy = np.column_stack([(lon - lon[0]) * kx, (lat - lat[0]) * ky])
    if smooth_s > 0:
        lo = np.searchsorted(t, t - smooth_s / 2, side="left")
        hi = np.searchsorted(t, t + smooth_s / 2, side="right")
        csum = np.vstack([np.zeros((1, 2)), np.cumsum(xy, axis=0)])
        xy = (csum[hi] - csum[lo]) / (hi - lo)[:, None]
    line = shapely.simplify(shapely.linestrings(xy), tolerance_m, preserve_topology=False)
    return float(shapely.length(line))


# (t, lon, lat, seg): the points still in play, filtered together at every step.
Columns = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _timed_sorted(points: RawPoints, report: CleaningReport) -> Columns:
    """Timed points sorted by (file segment, time); counts the untimed and out-of-order ones."""
    t, lon, lat, seg = points.t, points.lon, points.lat, points.seg
    timed = np.isfinite(t)
    report.untimed_points = int((~timed).sum())
    t, lon, lat, seg = t[timed], lon[timed], lat[timed], seg[timed]

    # Out of order: a point earlier than something before it in the same segment.
    key = seg.astype(np.float64) * 1e10 + t
    report.out_of_order = int((key[1:] < np.maximum.accumulate(key)[:-1]).sum())
    order = np.lexsort((t, seg))
    return t[order], lon[order], lat[order], seg[order]


def _drop_duplicates_and_far(
    cols: Columns, area: shapely.Geometry | None, params: CleaningParams, report: CleaningReport
) -> Columns:
    t, lon, lat, seg = cols
    # Duplicates: the same millisecond twice in a segment keeps the first fix.
    tm = np.round(t * 1000.0)
    dup = np.zeros(t.size, dtype=bool)
    dup[1:] = (tm[1:] == tm[:-1]) & (seg[1:] == seg[:-1])
    report.duplicate_times = int(dup.sum())
    keep = ~dup

    if area is not None:
        far = _far_outside(lon, lat, area, params.far_outside_m) & keep
        report.far_outside = int(far.sum())
        keep &= ~far
    return t[keep], lon[keep], lat[keep], seg[keep]


def _drop_spikes(cols: Columns, max_speed_ms: float, report: CleaningReport) -> Columns:
    """Isolated spikes: too fast both into and out of a fix. A few passes catch 2–3 point bursts."""
    t, lon, lat, seg = cols
    for _pass in range(4):
        if t.size < 3:
            break
        same = seg[1:] == seg[:-1]
        dt = np.diff(t)
        v = haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:]) / np.maximum(dt, 1e-3)
        fast = same & (v > max_speed_ms)
        spike = np.zeros(t.size, dtype=bool)
        spike[1:-1] = fast[:-1] & fast[1:]
        if not spike.any():
            break
        report.speed_spikes += int(spike.sum())
        t, lon, lat, seg = t[~spike], lon[~spike], lat[~spike], seg[~spike]
    return t, lon, lat, seg


def _track_starts(cols: Columns, params: CleaningParams, report: CleaningReport) -> np.ndarray:
    """Where tracks start (with the end as last entry): file segment boundaries, long gaps, jumps
    that are not isolated spikes, and every max_track_s of a longer piece."""
    t, lon, lat, seg = cols
    if t.size:
        dt = np.diff(t)
        v = haversine_m(lon[:-1], lat[:-1], lon[1:], lat[1:]) / np.maximum(dt, 1e-3)
        new_seg = seg[1:] != seg[:-1]
        gap = (~new_seg) & (dt > params.split_gap_s)
        jump = (~new_seg) & (~gap) & (v > params.max_speed_ms)
        report.gap_splits = int(gap.sum())
        report.jump_splits = int(jump.sum())
        starts = np.concatenate([[0], np.flatnonzero(new_seg | gap | jump) + 1, [t.size]])
    else:
        starts = np.array([0, 0])
    return _cap_duration(t, starts, params.max_track_s, report)


def _track(
    tt: np.ndarray, xx: np.ndarray, yy: np.ndarray, params: CleaningParams
) -> CleanTrack | None:
    """One piece as a track with its speed flags; None when it has no length or duration."""
    n = tt.size
    hops = float(haversine_m(xx[:-1], yy[:-1], xx[1:], yy[1:]).sum()) if n >= 2 else 0.0
    if n < 2 or tt[-1] <= tt[0] or hops <= 0.0:
        return None
    length = walked_length_m(tt, xx, yy, params.length_smooth_s, params.length_tolerance_m)
    speeds = _sustained_speed(tt, xx, yy, params.speed_window_s)
    median = float(np.median(speeds)) if speeds.size else 0.0
    flags: list[str] = []
    if median > params.vehicle_min_ms:
        flags.append("vehicle_speed")
    elif speeds.size and float((speeds > params.walk_max_ms).mean()) > 0.5:
        flags.append("above_walking_speed")
    return CleanTrack(tt, xx, yy, length, flags, median)


def clean(
    points: RawPoints,
    *,
    area: shapely.Geometry | None = None,
    params: CleaningParams | None = None,
    now: float | None = None,
) -> tuple[list[CleanTrack], CleaningReport]:
    params = params or CleaningParams.from_settings()
    report = CleaningReport(points_in=points.size, params=asdict(params))
    validate(points, now=now, params=params)

    cols = _timed_sorted(points, report)
    cols = _drop_duplicates_and_far(cols, area, params, report)
    cols = _drop_spikes(cols, params.max_speed_ms, report)
    starts = _track_starts(cols, params, report)

    t, lon, lat, _seg = cols
    tracks: list[CleanTrack] = []
    for a, b in zip(starts[:-1], starts[1:], strict=True):
        track = _track(t[a:b], lon[a:b], lat[a:b], params)
        if track is None:
            report.zero_length_tracks += 1
            report.zero_length_points += int(b - a)
            continue
        tracks.append(track)

    report.points_out = int(sum(tr.point_count for tr in tracks))
    report.tracks_out = len(tracks)
    if not tracks:
        raise TrackRejected(
            _("清洗后没有可保存的轨迹：%(detail)s。") % {"detail": _describe_loss(report)},
            422,
            code="nothing_left",
        )
    return tracks, report


def _describe_loss(r: CleaningReport) -> str:
    parts = []
    if r.far_outside:
        parts.append(
            _("%(n)d 个点远离所属街道（超过 %(m).0f 米）")
            % {"n": r.far_outside, "m": r.params["far_outside_m"]}
        )
    if r.untimed_points:
        parts.append(_("%(n)d 个点没有时间") % {"n": r.untimed_points})
    if r.duplicate_times:
        parts.append(_("%(n)d 个点时间重复") % {"n": r.duplicate_times})
    if r.zero_length_tracks:
        parts.append(_("%(n)d 段轨迹长度或时长为零") % {"n": r.zero_length_tracks})
    return "；".join(parts) or _("所有点都被过滤")


def describe_cleaning(report: dict) -> list[str]:
    """What cleaning did to an upload, one sentence each, for the volunteer who sent it."""
    n = {
        k: int(report.get(k, 0) or 0) for k in CleaningReport.__dataclass_fields__ if k != "params"
    }
    params = report.get("params") or {}
    lines = [
        _("读取 %(pin)d 个点，保存 %(pout)d 个点，共 %(tracks)d 段轨迹。")
        % {"pin": n["points_in"], "pout": n["points_out"], "tracks": n["tracks_out"]}
    ]
    if n["untimed_points"]:
        lines.append(_("%(n)d 个点没有时间，已去除。") % {"n": n["untimed_points"]})
    if n["duplicate_times"]:
        lines.append(_("%(n)d 个点时间重复，只保留第一个。") % {"n": n["duplicate_times"]})
    if n["out_of_order"]:
        lines.append(_("%(n)d 个点时间顺序颠倒，已按时间重排。") % {"n": n["out_of_order"]})
    if n["far_outside"]:
        lines.append(
            _("%(n)d 个点远离所属街道（超过 %(m).0f 米），已去除。")
            % {"n": n["far_outside"], "m": float(params.get("far_outside_m", 0))}
        )
    if n["speed_spikes"]:
        lines.append(
            _("%(n)d 个点是孤立的定位跳点（速度超过 %(v).0f 米/秒），已去除。")
            % {"n": n["speed_spikes"], "v": float(params.get("max_speed_ms", 0))}
        )
    if n["jump_splits"]:
        lines.append(
            _(
                "有 %(n)d 处定位跳变（速度超过 %(v).0f 米/秒）后没有跳回，点都保留，轨迹在这些地方分段。"
            )
            % {"n": n["jump_splits"], "v": float(params.get("max_speed_ms", 0))}
        )
    if n["gap_splits"]:
        lines.append(
            _("有 %(n)d 处记录中断超过 %(min).0f 分钟，轨迹在这些地方分段。")
            % {"n": n["gap_splits"], "min": float(params.get("split_gap_s", 0)) / 60}
        )
    if n["long_track_splits"]:
        lines.append(
            _("连续记录超过一天，已按天分成多段（%(n)d 处）。") % {"n": n["long_track_splits"]}
        )
    if n["zero_length_tracks"]:
        lines.append(
            _("%(n)d 段轨迹长度或时长为零（共 %(p)d 个点），未保存。")
            % {"n": n["zero_length_tracks"], "p": n["zero_length_points"]}
        )
    return lines
