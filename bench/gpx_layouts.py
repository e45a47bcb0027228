"""Synthetic patrol walks written as GPX in the layouts real phone apps and loggers produce.

The walk follows a street grid at walking pace with stops; the position error is what GPS
receivers show: a slowly drifting offset (AR(1), correlation time ~40 s, ~4 m sd, so neighbouring
fixes are wrong in the same direction) plus a little white jitter, not independent jumps each second.

Layouts (what each app writes per point; see the writers below):

* minimal   – lat/lon, ele, time, one line per point (simple loggers, this project's simulator)
* garmin    – Garmin Connect export: indented, ms times, <extensions><ns3:TrackPointExtension> hr/cad
* osmand    – OsmAnd: ele, time, hdop, <extensions> with osmand:speed / osmand:heading
* gpslogger – GPSLogger for Android: course, speed, geoidheight, src, sat, hdop, vdop, pdop
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from scipy.signal import lfilter

ORIGIN = (116.31, 40.00)
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON = 111_320.0 * np.cos(np.radians(ORIGIN[1]))
LAYOUTS = ("minimal", "garmin", "osmand", "gpslogger")


def walk(seconds: int, step_s: int, seed: int, grid_m: float = 110.0, blocks: int = 5) -> tuple:
    """(t epoch s, lon, lat, ele) of a walk along a `blocks`×`blocks` street grid, sampled every step_s."""
    rng = np.random.default_rng(seed)
    t_all = np.arange(0, seconds, dtype=float)
    # Speed: 1.0–1.6 m/s with stops of 20–120 s now and then.
    speed = np.clip(1.3 + lfilter([0.05], [1, -0.95], rng.normal(0, 0.3, seconds)), 0.6, 1.8)
    for start in rng.integers(0, seconds, seconds // 900):
        speed[start : start + rng.integers(20, 120)] = 0.0
    dist = np.cumsum(speed)
    # Route: a random sequence of grid corners, moving one block along x or y each time.
    corners = [np.array([0, 0])]
    while len(corners) * grid_m < dist[-1] + grid_m:
        step = np.array([[1, 0], [-1, 0], [0, 1], [0, -1]][rng.integers(4)])
        nxt = np.clip(corners[-1] + step, 0, blocks)
        if (nxt != corners[-1]).any():
            corners.append(nxt)
    route = np.array(corners, dtype=float) * grid_m
    leg = np.minimum((dist // grid_m).astype(int), len(route) - 2)
    frac = (dist % grid_m / grid_m)[:, None]
    xy = route[leg] + (route[leg + 1] - route[leg]) * frac
    # GPS error: AR(1) drift with a ~40 s correlation time and 4 m sd, plus 0.7 m jitter.
    phi = np.exp(-1 / 40)
    drift = lfilter([np.sqrt(1 - phi**2) * 4.0], [1, -phi], rng.normal(0, 1, (seconds, 2)), axis=0)
    xy = xy + drift + rng.normal(0, 0.7, (seconds, 2))
    ele = 50 + lfilter([0.1], [1, -0.99], rng.normal(0, 1, seconds))
    keep = slice(0, seconds, step_s)
    t0 = datetime(2024, 5, 1, 0, 30, tzinfo=UTC).timestamp() + seed * 86_400
    lon = ORIGIN[0] + xy[keep, 0] / M_PER_DEG_LON
    lat = ORIGIN[1] + xy[keep, 1] / M_PER_DEG_LAT
    return t0 + t_all[keep], lon, lat, ele[keep]


def _iso(t: np.ndarray, ms: bool) -> list[str]:
    s = np.datetime_as_string((t * 1000).astype("datetime64[ms]"), unit="ms" if ms else "s")
    return [f"{v}Z" for v in s.tolist()]


_HEAD = {
    "minimal": '<gpx version="1.1" creator="logger" xmlns="http://www.topografix.com/GPX/1/1">',
    "garmin": '<gpx creator="Garmin Connect" version="1.1" xmlns="http://www.topografix.com/GPX/1/1"'
    ' xmlns:ns3="http://www.garmin.com/xmlschemas/TrackPointExtension/v1"'
    ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n  <metadata><time>{t0}</time></metadata>',
    "osmand": '<gpx version="1.1" creator="OsmAnd Maps 4.7.10 (4.7.10.10)"'
    ' xmlns="http://www.topografix.com/GPX/1/1" xmlns:osmand="https://osmand.net">',
    "gpslogger": '<gpx version="1.0" creator="GPSLogger 131 - http://gpslogger.mendhak.com/"'
    ' xmlns="http://www.topografix.com/GPX/1/0">\n<time>{t0}</time>',
}


def _points(layout: str, t, lon, lat, ele, rng) -> str:
    n = len(t)
    la, lo = lat.tolist(), lon.tolist()
    el = ele.tolist()
    if layout == "minimal":
        ts = _iso(t, ms=False)
        return "".join(
            f'<trkpt lat="{la[k]:.7f}" lon="{lo[k]:.7f}"><ele>{el[k]:.1f}</ele><time>{ts[k]}</time></trkpt>\n'
            for k in range(n)
        )
    if layout == "garmin":
        ts = _iso(t, ms=True)
        hr = rng.integers(85, 125, n).tolist()
        cad = rng.integers(45, 60, n).tolist()
        return "".join(
            f'      <trkpt lat="{la[k]:.15f}" lon="{lo[k]:.15f}">\n        <ele>{el[k]:.15f}</ele>\n'
            f"        <time>{ts[k]}</time>\n        <extensions>\n          <ns3:TrackPointExtension>\n"
            f"            <ns3:hr>{hr[k]}</ns3:hr>\n            <ns3:cad>{cad[k]}</ns3:cad>\n"
            f"          </ns3:TrackPointExtension>\n        </extensions>\n      </trkpt>\n"
            for k in range(n)
        )
    speed = np.abs(rng.normal(1.3, 0.2, n)).tolist()
    head = rng.uniform(0, 360, n).tolist()
    hdop = rng.uniform(2.5, 9, n).tolist()
    if layout == "osmand":
        ts = _iso(t, ms=False)
        return "".join(
            f'\t\t\t<trkpt lat="{la[k]:.7f}" lon="{lo[k]:.7f}">\n\t\t\t\t<ele>{el[k]:.1f}</ele>\n'
            f"\t\t\t\t<time>{ts[k]}</time>\n\t\t\t\t<hdop>{hdop[k]:.1f}</hdop>\n\t\t\t\t<extensions>\n"
            f"\t\t\t\t\t<osmand:speed>{speed[k]:.1f}</osmand:speed>\n"
            f"\t\t\t\t\t<osmand:heading>{head[k]:.0f}</osmand:heading>\n"
            f"\t\t\t\t</extensions>\n\t\t\t</trkpt>\n"
            for k in range(n)
        )
    ts = _iso(t, ms=True)
    sat = rng.integers(6, 14, n).tolist()
    return "".join(
        f'<trkpt lat="{la[k]}" lon="{lo[k]}"><ele>{el[k]:.1f}</ele><time>{ts[k]}</time>'
        f"<course>{head[k]:.1f}</course><speed>{speed[k]:.2f}</speed><geoidheight>-8.0</geoidheight>"
        f"<src>gps</src><sat>{sat[k]}</sat><hdop>{hdop[k] / 4:.1f}</hdop><vdop>1.4</vdop>"
        f"<pdop>{hdop[k] / 3:.1f}</pdop></trkpt>\n"
        for k in range(n)
    )


def write_gpx(path: Path, layout: str, track: tuple, seed: int = 0) -> int:
    """Write `track` (t, lon, lat, ele) in `layout`; returns the number of points."""
    t, lon, lat, ele = track
    rng = np.random.default_rng(seed)
    head = _HEAD[layout].replace("{t0}", _iso(t[:1], ms=False)[0])
    with path.open("w") as fh:
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n' + head + "\n")
        fh.write("<trk><name>patrol</name><trkseg>\n")
        fh.write(_points(layout, t, lon, lat, ele, rng))
        fh.write("</trkseg></trk>\n</gpx>\n")
    return len(t)
