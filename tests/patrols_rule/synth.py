"""A small track simulator for the rule tests (the fuller one is demo/simulate.py, issue 4).

The test block near 五道口 (lon 116.310, lat 40.000), metres east/north of the origin O:

      N street (parallel, 40 m north of the block) ──────────────────────
                                                     40 m
      C ─────────── north alley ─────────── D   (y = 200)
      │                                      │
   west alley                           east alley
      │                                      │
      O ─────────── south alley ─────────── B   (x = 300)

The claimed segments are the four sides of the block (1,000 m); "N street" is not claimed.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import shapely
from shapely.geometry import LineString

LON0, LAT0 = 116.310, 40.000
M_PER_DEG_LAT = 111_320.0
M_PER_DEG_LON = 111_320.0 * np.cos(np.radians(LAT0))
SHANGHAI = ZoneInfo("Asia/Shanghai")


def to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return LON0 + np.asarray(x) / M_PER_DEG_LON, LAT0 + np.asarray(y) / M_PER_DEG_LAT


def line(*xy: tuple[float, float]) -> LineString:
    xs, ys = zip(*xy, strict=True)
    lon, lat = to_lonlat(np.array(xs, dtype=float), np.array(ys, dtype=float))
    return LineString(np.column_stack([lon, lat]))


BLOCK = {
    1: line((0, 0), (300, 0)),  # south alley
    2: line((300, 0), (300, 200)),  # east alley
    3: line((300, 200), (0, 200)),  # north alley
    4: line((0, 200), (0, 0)),  # west alley
}
N_STREET = line((-100, 240), (400, 240))
LOOP_XY = np.array([(0, 0), (300, 0), (300, 200), (0, 200), (0, 0)], dtype=float)


def local(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> float:
    return datetime(y, mo, d, h, mi, s, tzinfo=SHANGHAI).timestamp()


def walk(
    start: float,
    duration_s: int,
    *,
    path_xy: np.ndarray = LOOP_XY,
    speed: float = 1.1,
    phase_m: float = 0.0,
    offset_xy: tuple[float, float] = (0.0, 0.0),
    noise_m: float = 3.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """1 Hz fixes of someone going round `path_xy` (repeatedly) at `speed`, with GPS noise."""
    t = start + np.arange(duration_s, dtype=float)
    seg = np.diff(path_xy, axis=0)
    seg_len = np.hypot(seg[:, 0], seg[:, 1])
    cum = np.concatenate([[0.0], np.cumsum(seg_len)])
    s = (phase_m + speed * np.arange(duration_s)) % cum[-1]
    i = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(seg) - 1)
    f = (s - cum[i]) / seg_len[i]
    x = path_xy[i, 0] + f * seg[i, 0] + offset_xy[0]
    y = path_xy[i, 1] + f * seg[i, 1] + offset_xy[1]
    rng = np.random.default_rng(seed)
    x = x + rng.normal(0, noise_m, len(t))
    y = y + rng.normal(0, noise_m, len(t))
    lon, lat = to_lonlat(x, y)
    return t, lon, lat


def without(track, start: float, end: float):
    """The track with its fixes in [start, end) removed (a signal loss)."""
    t, lon, lat = track
    keep = (t < start) | (t >= end)
    return t[keep], lon[keep], lat[keep]


def join(*tracks):
    t = np.concatenate([tr[0] for tr in tracks])
    order = np.argsort(t, kind="stable")
    return tuple(np.concatenate([tr[i] for tr in tracks])[order] for i in range(3))


# GCJ-02 ("Mars coordinates") as Chinese map SDKs return them: the published obfuscation formula.
_A = 6378245.0
_EE = 0.00669342162296594323


def _transform_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = 1 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse by fixed-point iteration (sub-centimetre after a few rounds)."""
    wlon, wlat = np.array(lon, dtype=float), np.array(lat, dtype=float)
    for _ in range(6):
        glon, glat = wgs84_to_gcj02(wlon, wlat)
        wlon, wlat = wlon - (glon - lon), wlat - (glat - lat)
    return wlon, wlat


def claimed(ids=(1, 2, 3, 4)) -> tuple[list[int], list[shapely.Geometry]]:
    return list(ids), [BLOCK[i] for i in ids]
