"""Realistic simulated patrols for the demo, the rule's tests and the benchmarks.

A pair walks its claimed segments at walking speed with pauses; each phone samples every 1–5 s,
adds slowly drifting GPS error (a few metres, correlated over 30–60 s) plus a little white
jitter, and loses the signal now and then. Deviant scenarios reproduce what the patrol rule must catch.

    simulate_pair_day(segment_lines, date(2024, 5, 1), scenario="normal", seed=1)
    -> {"a": (t, lon, lat), "b": (t, lon, lat)}   # epoch seconds UTC, WGS-84
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import IO
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import numpy as np

SCENARIOS = ("normal", "absent", "apart", "vehicle", "outside", "short", "midnight")
EARTH_M_PER_DEG = 111_320.0

Track = tuple[np.ndarray, np.ndarray, np.ndarray]
Coords = Sequence[tuple[float, float]]


def _to_local(lonlat: np.ndarray, origin: tuple[float, float]) -> np.ndarray:
    kx = EARTH_M_PER_DEG * np.cos(np.radians(origin[1]))
    return np.column_stack(
        [(lonlat[:, 0] - origin[0]) * kx, (lonlat[:, 1] - origin[1]) * EARTH_M_PER_DEG]
    )


def _to_lonlat(xy: np.ndarray, origin: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    kx = EARTH_M_PER_DEG * np.cos(np.radians(origin[1]))
    return xy[:, 0] / kx + origin[0], xy[:, 1] / EARTH_M_PER_DEG + origin[1]


def _coords_of(line: object) -> np.ndarray:
    """Accept GEOS/shapely lines or plain coordinate sequences."""
    coords = getattr(line, "coords", line)
    return np.asarray(list(coords), dtype=np.float64)[:, :2]


def build_route(
    segment_lines: Sequence[object], rng: np.random.Generator, min_length_m: float
) -> np.ndarray:
    """A walking route (lon, lat vertices) that visits the segments, nearest next, back and forth."""
    lines = [_coords_of(s) for s in segment_lines if len(_coords_of(s)) >= 2]
    if not lines:
        raise ValueError("simulate needs at least one segment geometry")
    origin = tuple(lines[0][0])
    local = [_to_local(ln, origin) for ln in lines]
    route = [local[int(rng.integers(len(local)))]]
    length = float(np.linalg.norm(np.diff(route[0], axis=0), axis=1).sum())
    while length < min_length_m:
        here = route[-1][-1]
        # Prefer a nearby segment (walkers follow the network), sometimes go back along it.
        starts = np.array([ln[0] for ln in local])
        ends = np.array([ln[-1] for ln in local])
        d = np.minimum(np.linalg.norm(starts - here, axis=1), np.linalg.norm(ends - here, axis=1))
        weights = np.exp(-d / 80.0) + 1e-9
        k = int(rng.choice(len(local), p=weights / weights.sum()))
        ln = local[k]
        if np.linalg.norm(ln[-1] - here) < np.linalg.norm(ln[0] - here):
            ln = ln[::-1]
        piece = np.vstack([here, ln])
        route.append(piece[1:])
        length += float(np.linalg.norm(np.diff(piece, axis=0), axis=1).sum())
    xy = np.vstack(route)
    lon, lat = _to_lonlat(xy, origin)
    return np.column_stack([lon, lat])


def _position_along(route_xy: np.ndarray, dist: np.ndarray) -> np.ndarray:
    seg_len = np.linalg.norm(np.diff(route_xy, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg_len)])
    total = cum[-1]
    # Walk back and forth along the route if the patrol outlasts it.
    d = np.mod(dist, 2 * total)
    d = np.where(d > total, 2 * total - d, d)
    x = np.interp(d, cum, route_xy[:, 0])
    y = np.interp(d, cum, route_xy[:, 1])
    return np.column_stack([x, y])


def _walk_distance(
    duration_s: float, speed_ms: float, rng: np.random.Generator, pauses: bool = True
) -> np.ndarray:
    """Cumulative distance per second: speed wobbles, and a walker stops to talk or look."""
    n = int(duration_s) + 1
    v = speed_ms * (
        1 + 0.15 * np.sin(np.arange(n) / rng.uniform(60, 200)) + 0.1 * rng.standard_normal(n)
    )
    if pauses:
        for _ in range(int(duration_s / 900)):
            s = int(rng.integers(0, n))
            v[s : s + int(rng.integers(30, 240))] = 0.0
    return np.cumsum(np.clip(v, 0.0, None))


def _drift(n: int, rng: np.random.Generator, sigma_m: float, tau_s: float) -> np.ndarray:
    """A slowly varying offset per axis (metres, one row a second): white noise through the same
    first-order low-pass twice, so the offset wanders smoothly like a phone's filtered fix does
    (a single AR(1) would still jump ~σ·√(2/τ) every second). Stationary from the first row:
    a warm-up of 6τ is filtered and dropped. Vectorised through scipy's IIR filter."""
    from scipy.signal import lfilter

    phi = float(np.exp(-1.0 / tau_s))
    warm = int(6 * tau_s)
    e = rng.standard_normal((n + warm, 2))
    x = lfilter([1 - phi], [1, -phi], e, axis=0)
    x = lfilter([1 - phi], [1, -phi], x, axis=0)[warm:]
    # Stationary variance of the twice-filtered noise: (1-φ)^4 (1+φ²) / (1-φ²)^3.
    std = np.sqrt((1 - phi) ** 4 * (1 + phi**2) / (1 - phi**2) ** 3)
    return x * (sigma_m / std)


def _gps_noise(
    n: int, rng: np.random.Generator, drift_m: float, jitter_m: float = 0.3
) -> np.ndarray:
    """GPS error per second: a drift of spread `drift_m` per axis with a 30–60 s memory, plus a
    little white jitter (what is left after the phone's own filter)."""
    drift = _drift(n, rng, drift_m, float(rng.uniform(30, 60)))
    return drift + rng.standard_normal((n, 2)) * jitter_m


def _sample(
    t0: float,
    pos_xy: np.ndarray,
    rng: np.random.Generator,
    origin: tuple[float, float],
    dropouts: bool = True,
    shared_error: np.ndarray | None = None,
) -> Track:
    """Per-second true positions → a phone's fixes: 1–5 s interval, noise, dropouts.

    `shared_error` is the part of the GPS error two phones walking side by side have in common
    (same satellites, same multipath in the same alley); each phone adds its own smaller drift.
    """
    n = pos_xy.shape[0]
    step = int(rng.integers(1, 6))
    idx = np.arange(0, n, step)
    keep = np.ones(idx.size, dtype=bool)
    if dropouts:
        for _ in range(int(rng.integers(0, 4))):
            s = int(rng.integers(0, idx.size))
            keep[s : s + int(rng.integers(10, 120) // step + 1)] = False
    idx = idx[keep]
    if shared_error is None:
        error = _gps_noise(n, rng, float(rng.uniform(2, 6)))
    else:
        error = shared_error[:n] + _gps_noise(n, rng, float(rng.uniform(1, 2)))
    xy = pos_xy[idx] + error[idx]
    lon, lat = _to_lonlat(xy, origin)
    return t0 + idx.astype(np.float64), lon, lat


def simulate_pair_day(
    segment_lines: Sequence[object],
    day: date,
    scenario: str = "normal",
    seed: int | None = None,
    *,
    start_local: str = "08:30",
    duration_min: float = 150.0,
    tz: str = "Asia/Shanghai",
) -> dict[str, Track]:
    """One pair's patrol on a local day. Returns {"a": track, "b": track}; "b" may be empty.

    Scenarios: normal (together about 2.5 h), absent (b left the phone at home), apart (same time,
    different ends of the area), vehicle (both ride through at 8–12 m/s), outside (walked 1.5 km
    away from the claimed segments), short (together 60 min), midnight (starts 23:10, crosses
    midnight).
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose from {SCENARIOS}")
    rng = np.random.default_rng(seed)
    if scenario == "midnight":
        start_local = "23:10"
    if scenario == "short":
        duration_min = 60.0
    hh, mm = (int(x) for x in start_local.split(":"))
    start = datetime(day.year, day.month, day.day, hh, mm, tzinfo=ZoneInfo(tz))
    t0 = start.timestamp() + float(rng.uniform(-600, 600))
    duration = duration_min * 60.0

    speed = float(rng.uniform(1.0, 1.4)) if scenario != "vehicle" else float(rng.uniform(8, 12))
    route = build_route(segment_lines, rng, min_length_m=max(speed * duration * 0.6, 500.0))
    origin = (float(route[0, 0]), float(route[0, 1]))
    route_xy = _to_local(route, origin)
    if scenario == "outside":
        route_xy = route_xy + np.array([1500.0, 1500.0])

    dist_a = _walk_distance(duration, speed, rng, pauses=scenario != "vehicle")
    pos_a = _position_along(route_xy, dist_a)
    # b walks a few metres beside a, with its own small wander.
    side = rng.standard_normal(2)
    side = side / np.linalg.norm(side) * float(rng.uniform(1.5, 5.0))
    pos_b = pos_a + side + np.cumsum(rng.standard_normal(pos_a.shape) * 0.05, axis=0)
    if scenario == "apart":
        total = float(np.linalg.norm(np.diff(route_xy, axis=0), axis=1).sum())
        pos_b = _position_along(route_xy, dist_a[::-1] + total / 2)

    # Partners share most of their GPS error; b switches the logger on up to a minute late.
    # Per-axis spread 2–6 m drifting over 30–60 s: a radial error of roughly 3–9 m that moves
    # the whole track sideways for a while, as a phone's does, rather than a scribble.
    shared = _gps_noise(pos_a.shape[0], rng, float(rng.uniform(2, 6)), jitter_m=0.0)
    late = int(rng.integers(0, 61))
    a_track = _sample(t0, pos_a, rng, origin, shared_error=shared)
    b_t, b_lon, b_lat = _sample(t0 + late, pos_b[late:], rng, origin, shared_error=shared[late:])
    tracks = {"a": a_track, "b": (b_t, b_lon, b_lat)}
    if scenario == "absent":
        tracks["b"] = (np.empty(0), np.empty(0), np.empty(0))
    return tracks


# --- writers ----------------------------------------------------------------------------------


def _iso(ts: np.ndarray) -> list[str]:
    return [s + "Z" for s in np.datetime_as_string((ts * 1000).astype("datetime64[ms]"), unit="s")]


def write_gpx(out: IO[str], track: Track, *, name: str = "patrol", version: str = "1.1") -> None:
    """A GPX 1.1 (or 1.0) file with one trk/trkseg, times in UTC."""
    t, lon, lat = track
    ns = (
        "http://www.topografix.com/GPX/1/1"
        if version == "1.1"
        else "http://www.topografix.com/GPX/1/0"
    )
    out.write(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="{version}" creator="alley-simulator" xmlns="{ns}">\n'
    )
    out.write(f"<trk><name>{escape(name)}</name><trkseg>\n")
    times = _iso(t)
    lines = [
        f'<trkpt lat="{y:.7f}" lon="{x:.7f}"><ele>50.0</ele><time>{s}</time></trkpt>\n'
        for x, y, s in zip(lon.tolist(), lat.tolist(), times, strict=True)
    ]
    out.write("".join(lines))
    out.write("</trkseg></trk>\n</gpx>\n")


def gpx_bytes(track: Track, **kwargs: object) -> bytes:
    import io

    buf = io.StringIO()
    write_gpx(buf, track, **kwargs)  # type: ignore[arg-type]
    return buf.getvalue().encode()


def day_of(ts: float, tz: str = "Asia/Shanghai") -> date:
    return datetime.fromtimestamp(ts, tz=UTC).astimezone(ZoneInfo(tz)).date()
