"""Track ingest (parse → clean → binary COPY) per GPX layout, against its floor and two peers.

    python -m bench.ingest [--files 5] [--large-mb 100] [--repeats 3]

Files: patrol walks of 2 h in the layouts phone apps and loggers write (bench/gpx_layouts.py:
minimal, Garmin, OsmAnd, GPSLogger), each at 1 s and 5 s sampling, with drifting GPS error. Per
layout and sampling, all on the same files and in the same run (best of --repeats):

* ingest: `patrols.tracks.ingest.ingest_file`, what the upload API calls;
* floor: the already-parsed points built into the rows the ingest writes (EWKB line + binary
  float8[] times) and sent with the same binary COPY into an unindexed temporary table;
* ogr2ogr: GDAL's GPX driver → PostGIS (layer track_points, COPY on, no spatial index), one
  process per file as a user would run it;
* gpxpy: parsing alone (gpxpy.parse), no storage.

Targets printed with the figures: ingest >= 5x ogr2ogr on every layout, and no layout more than 2x
slower than the fastest. Then one large GPX in a child process for peak memory.
Uses DATABASE_URL (migrated); creates and removes its own office, steward and tables.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

import gpxpy  # noqa: E402
import numpy as np  # noqa: E402
import shapely  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.gis.geos import MultiPolygon, Polygon  # noqa: E402
from django.db import connection  # noqa: E402

from bench.gpx_layouts import LAYOUTS, ORIGIN, walk, write_gpx  # noqa: E402
from geo.models import Community, StreetOffice  # noqa: E402
from patrols.models import TrackUpload  # noqa: E402
from patrols.tracks.formats import TrackFormat, read_points  # noqa: E402
from patrols.tracks.ingest import _COPY_TYPES, binary_float8_array, ingest_file  # noqa: E402
from stewards.models import Steward  # noqa: E402

WALK_S = 7200
FLOOR_TABLE = """
CREATE TEMP TABLE bench_floor_tracks (
    steward_id int8, street_office_id int8, upload_id int8, started_at timestamptz,
    ended_at timestamptz, geom geometry(LineString, 4326), times float8[], point_count int4,
    length_m float8, source_crs text, flags varchar[], created_at timestamptz)
"""
EMPTY_VARCHAR_ARRAY = b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04\x13"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def setup_steward() -> Steward:
    x0, y0 = ORIGIN
    geom = MultiPolygon(Polygon.from_bbox((x0 - 0.05, y0 - 0.05, x0 + 0.05, y0 + 0.05)), srid=4326)
    office = StreetOffice.objects.create(name="bench", code=f"bench-{os.getpid()}", geom=geom)
    comm = Community.objects.create(name="bench", code="bench", geom=geom, street_office=office)
    return Steward.objects.create(street_office=office, community=comm, name="bench")


def teardown(steward: Steward) -> None:
    for up in steward.track_uploads.all():
        up.file.delete(save=False)
    office = steward.street_office
    # Tracks and uploads protect their steward (history is never deleted by accident): first them.
    TrackUpload.objects.filter(steward=steward).delete()
    steward.delete()
    office.delete()


def run_ingest(files: list[Path]) -> float:
    steward = setup_steward()
    try:
        t0 = time.perf_counter()
        for path in files:
            with path.open("rb") as fh:
                ingest_file(fh, filename=path.name, steward=steward)
        return time.perf_counter() - t0
    finally:
        teardown(steward)


def run_floor(parsed: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> float:
    """Rows as the ingest builds them (EWKB + binary float8[]), binary COPY, no cleaning."""
    with connection.cursor() as cur:
        cur.execute(FLOOR_TABLE)
        stamp = datetime.now(tz=UTC)
        t0 = time.perf_counter()
        with cur.cursor.copy(
            "COPY bench_floor_tracks FROM STDIN (FORMAT BINARY)"
        ) as copy:  # fmt: skip
            copy.set_types(_COPY_TYPES)
            for t, lon, lat in parsed:
                line = shapely.set_srid(shapely.linestrings(np.column_stack([lon, lat])), 4326)
                copy.write_row(
                    (1, 1, 1, stamp, stamp, shapely.to_wkb(line, include_srid=True),
                     binary_float8_array(t), t.size, 0.0, "EPSG:4326", EMPTY_VARCHAR_ARRAY, stamp)
                )  # fmt: skip
        elapsed = time.perf_counter() - t0
        cur.execute("DROP TABLE bench_floor_tracks")
    return elapsed


def pg_dsn() -> str:
    db = settings.DATABASES["default"]
    parts = {"host": db.get("HOST"), "port": db.get("PORT"), "dbname": db["NAME"]}
    parts |= {"user": db.get("USER"), "password": db.get("PASSWORD")}
    return "PG:" + " ".join(f"{k}={v}" for k, v in parts.items() if v)


def run_ogr(files: list[Path]) -> float:
    table = f"bench_ogr_{os.getpid()}"
    t0 = time.perf_counter()
    for k, path in enumerate(files):
        mode = ["-overwrite", "-lco", "SPATIAL_INDEX=NONE"] if k == 0 else ["-append"]
        subprocess.run(
            ["ogr2ogr", "--config", "PG_USE_COPY", "YES", "-f", "PostgreSQL", pg_dsn(), str(path),
             "track_points", "-nln", table, *mode],
            check=True, capture_output=True,
        )  # fmt: skip
    elapsed = time.perf_counter() - t0
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {table}")
        n = cur.fetchone()[0]
        cur.execute(f"DROP TABLE {table}")
    assert n > 0
    return elapsed


def run_gpxpy(files: list[Path]) -> float:
    t0 = time.perf_counter()
    n = 0
    for path in files:
        with path.open() as fh:
            g = gpxpy.parse(fh)
        n += sum(len(s.points) for tr in g.tracks for s in tr.segments)
    assert n > 0
    return time.perf_counter() - t0


def make_sets(folder: Path, n_files: int) -> dict[tuple[str, int], tuple[list[Path], int]]:
    sets = {}
    for layout in LAYOUTS:
        for step in (1, 5):
            files, points = [], 0
            for k in range(n_files):
                path = folder / f"{layout}-{step}s-{k}.gpx"
                points += write_gpx(path, layout, walk(WALK_S, step, seed=k), seed=k)
                files.append(path)
            sets[(layout, step)] = (files, points)
    return sets


def measure(sets: dict, repeats: int) -> dict:
    rows = {}
    for key, (files, points) in sets.items():
        parsed = []
        for path in files:
            with path.open("rb") as fh:
                p = read_points(fh, TrackFormat.GPX)
            parsed.append((p.t, p.lon, p.lat))
        best = {"ingest": 1e9, "floor": 1e9, "ogr2ogr": 1e9, "gpxpy": 1e9}
        # Interleaved repeats, best of each: all four see the same machine load.
        for _ in range(repeats):
            best["ingest"] = min(best["ingest"], run_ingest(files))
            best["floor"] = min(best["floor"], run_floor(parsed))
            best["ogr2ogr"] = min(best["ogr2ogr"], run_ogr(files))
            best["gpxpy"] = min(best["gpxpy"], run_gpxpy(files))
        rows[key] = {k: points / v for k, v in best.items()} | {"points": points}
    return rows


def report(rows: dict) -> None:
    print(f"{'layout':<11}{'step':>5}{'points':>9}{'ingest/s':>11}{'floor/s':>11}{'ogr2ogr/s':>11}"
          f"{'gpxpy/s':>10}{'ing/ogr':>9}{'ing/floor':>10}")  # fmt: skip
    for (layout, step), r in rows.items():
        print(
            f"{layout:<11}{step:>4}s{r['points']:>9,}{r['ingest']:>11,.0f}{r['floor']:>11,.0f}"
            f"{r['ogr2ogr']:>11,.0f}{r['gpxpy']:>10,.0f}{r['ingest'] / r['ogr2ogr']:>8.1f}x"
            f"{r['ingest'] / r['floor']:>9.2f}x"
        )
    worst = min(r["ingest"] / r["ogr2ogr"] for r in rows.values())
    print(f"target ingest >= 5x ogr2ogr on every layout: worst {worst:.1f}x -> "
          f"{'met' if worst >= 5 else 'NOT met'}")  # fmt: skip
    # Layouts compared at the same sampling: at 5 s a file holds a fifth of the points, so the
    # per-file cost (upload row, checksum, transaction) weighs more whatever the layout.
    worst_slow, worst_key = 0.0, None
    for step in sorted({st for _, st in rows}):
        rates = {lay: r["ingest"] for (lay, st), r in rows.items() if st == step}
        fastest = max(rates.values())
        for lay, rate in rates.items():
            if fastest / rate > worst_slow:
                worst_slow, worst_key = fastest / rate, (lay, step)
    print(
        f"target no layout > 2x slower than the fastest (same sampling): slowest {worst_key[0]} "
        f"{worst_key[1]}s at {worst_slow:.2f}x -> {'met' if worst_slow <= 2 else 'NOT met'}"
    )


def large_child(path: str) -> None:
    """Child process: ingest one large file, print its peak RSS (MB) and points/s."""
    settings.ALLEY_MAX_UPLOAD_BYTES = 1 << 40
    steward = setup_steward()
    try:
        base = rss_mb()
        t0 = time.perf_counter()
        with open(path, "rb") as fh:
            res = ingest_file(fh, filename="large.gpx", steward=steward)
        elapsed = time.perf_counter() - t0
        print(f"{res.report['points_out']} {elapsed:.3f} {base:.1f} {rss_mb():.1f}")
    finally:
        teardown(steward)


def large_part(folder: Path, target_mb: float) -> None:
    big = folder / "large.gpx"
    seconds = int(target_mb * 1024 * 1024 / 330)  # Garmin layout: ~330 bytes a point
    points = write_gpx(big, "garmin", walk(seconds, 1, seed=99), seed=99)
    out = subprocess.run(
        [sys.executable, "-m", "bench.ingest", "--large-child", str(big)],
        check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    n, secs, base, peak = int(out[0]), float(out[1]), float(out[2]), float(out[3])
    print(
        f"large GPX (Garmin layout): {big.stat().st_size / 2**20:.0f} MB, {points:,} points, "
        f"{n:,} stored in {secs:.1f} s ({n / secs:,.0f} points/s); child RSS {base:.0f} MB before, "
        f"peak {peak:.0f} MB"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=5, help="files per layout and sampling")
    ap.add_argument("--large-mb", type=float, default=100.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--large-child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if shutil.which("ogr2ogr") is None:
        raise SystemExit("ogr2ogr not found: apt-get install gdal-bin")
    with tempfile.TemporaryDirectory(prefix="alley-bench-") as tmp:
        settings.MEDIA_ROOT = Path(tmp) / "media"
        if args.large_child:
            large_child(args.large_child)
            return
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        sets = make_sets(Path(tmp), args.files)
        print(f"Track ingest per GPX layout ({args.files} walks of 2 h per row; best of "
              f"{args.repeats}; points/s of points in the files)")  # fmt: skip
        report(measure(sets, args.repeats))
        if args.large_mb > 0:
            large_part(Path(tmp), args.large_mb)


if __name__ == "__main__":
    main()
