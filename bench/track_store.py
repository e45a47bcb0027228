"""A district-day in the track store: writing it, its size on disk, and reading it back for the rule.

    python -m bench.track_store [--stewards 4600] [--seconds 7200]

Both designs and the floor are read READS times and the best counts (warm cache for all), and
neither read has an ORDER BY (each groups and orders in numpy).

Issue 4 asks for storage that scales to "thousands of stewards × 2 h at 1 Hz ≈ 30 million points"
and the design note (docs/design/tracks.md) chose one row per track (a line plus a float8[] of
times) over one row per fix. This measures both on the same synthetic day, in the same run:

* tracks: the ingest's own binary COPY (`patrols.tracks.ingest._copy_tracks`, parsing excluded: see
  bench.ingest for that), then `patrols.tracks.load_points` for every steward of the day — the
  read the batch evaluation does — against a floor that only fetches the same rows' blobs in
  binary format (no decoding, no trimming);
* point table: the alternative, a logged table (steward, t, lon, lat) with its (steward, t) index,
  written by binary COPY and read by binary COPY decoded with numpy.

Sizes are pg_total_relation_size (heap + TOAST + indexes). Uses DATABASE_URL; creates its own
street office in a month no real data uses and removes everything at the end.
"""

from __future__ import annotations

import argparse
import os
import struct
import time
from datetime import UTC, date, datetime

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

import numpy as np  # noqa: E402
from django.contrib.gis.geos import MultiPolygon, Polygon  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from geo.local_days import local_day_bounds  # noqa: E402
from geo.models import Community, StreetOffice  # noqa: E402
from patrols.models import TrackUpload  # noqa: E402
from patrols.tracks.cleaning import CleanTrack  # noqa: E402
from patrols.tracks.ingest import _copy_tracks  # noqa: E402
from patrols.tracks.partitions import ensure_partitions  # noqa: E402
from patrols.tracks.queries import LOAD_POINTS  # noqa: E402
from patrols.tracks.store import fetch_binary, load_points  # noqa: E402
from stewards.models import Steward  # noqa: E402

DAY = date(2019, 3, 12)  # a month of its own: its partition holds only this benchmark
PARTITION = "patrols_track_2019_03"
ORIGIN = (116.31, 40.00)
BATCH = 200  # stewards per transaction when writing
READS = 3  # reads per design; the best (warm) one counts
# One row of the point-table alternative in binary COPY format: field count, then length + value.
POINT_ROW = np.dtype(
    [
        ("nf", ">i2"),
        ("l1", ">i4"),
        ("sid", ">i8"),
        ("l2", ">i4"),
        ("t", ">f8"),
        ("l3", ">i4"),
        ("lon", ">f8"),
        ("l4", ">i4"),
        ("lat", ">f8"),
    ]
)


def walks(n: int, seconds: int, seed: int = 1) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """n random walks at ~1.2 m/s, 1 Hz, starting between 08:00 and 10:00 local time."""
    rng = np.random.default_rng(seed)
    day_start = local_day_bounds(DAY)[0].timestamp()
    out = []
    for _ in range(n):
        t0 = day_start + 8 * 3600 + float(rng.integers(0, 7200))
        heading = np.cumsum(rng.normal(0, 0.15, seconds))
        step = 1.2 / 111_000
        lon = ORIGIN[0] + rng.uniform(-0.02, 0.02) + np.cumsum(np.cos(heading)) * step / 0.766
        lat = ORIGIN[1] + rng.uniform(-0.02, 0.02) + np.cumsum(np.sin(heading)) * step
        out.append((t0 + np.arange(seconds, dtype=np.float64), lon, lat))
    return out


def setup(n: int) -> tuple[StreetOffice, list[Steward], list[TrackUpload]]:
    x0, y0 = ORIGIN
    geom = MultiPolygon(Polygon.from_bbox((x0 - 0.1, y0 - 0.1, x0 + 0.1, y0 + 0.1)), srid=4326)
    office = StreetOffice.objects.create(name="bench", code=f"bench-store-{os.getpid()}", geom=geom)
    comm = Community.objects.create(name="bench", code="b", geom=geom, street_office=office)
    stewards = Steward.objects.bulk_create(
        [Steward(street_office=office, community=comm, name=f"s{i}") for i in range(n)]
    )
    return office, stewards, make_uploads(stewards)


def make_uploads(stewards: list[Steward]) -> list[TrackUpload]:
    """One stand-in upload row per steward (tracks need one; no file behind it)."""
    return TrackUpload.objects.bulk_create(
        [
            TrackUpload(
                steward=s,
                street_office_id=s.street_office_id,
                sha256=f"{s.pk:064x}",
                original_filename="bench.gpx",
                file="bench/none",
                size_bytes=0,
                format="gpx",
            )
            for s in stewards
        ]
    )


def write_tracks(uploads: list[TrackUpload], data) -> float:
    """The ingest's store step (binary COPY per steward), BATCH stewards per transaction."""
    ensure_partitions([datetime.fromtimestamp(float(data[0][0][0]), tz=UTC)])
    t = time.perf_counter()
    for k in range(0, len(uploads), BATCH):
        with transaction.atomic():
            for up, (tt, lon, lat) in zip(uploads[k : k + BATCH], data[k : k + BATCH], strict=True):
                _copy_tracks([CleanTrack(tt, lon, lat, 8000.0)], up, "wgs84")
    return time.perf_counter() - t


def write_point_table(stewards: list[Steward], data) -> float:
    """The alternative design: one row per fix, (steward_id, t) indexed, written by binary COPY."""
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE bench_track_points (steward_id int8, t float8, lon float8, lat float8)"
        )
        t = time.perf_counter()
        with cur.cursor.copy("COPY bench_track_points FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(b"PGCOPY\n\xff\r\n\0" + struct.pack(">ii", 0, 0))
            for s, (tt, lon, lat) in zip(stewards, data, strict=True):
                rows = np.empty(tt.size, dtype=POINT_ROW)
                rows["nf"], rows["l1"], rows["l2"], rows["l3"], rows["l4"] = 4, 8, 8, 8, 8
                rows["sid"], rows["t"], rows["lon"], rows["lat"] = s.pk, tt, lon, lat
                copy.write(rows.tobytes())
            copy.write(struct.pack(">h", -1))
        cur.execute("CREATE INDEX ON bench_track_points (steward_id, t)")
        return time.perf_counter() - t


def read_point_table(t0: float, t1: float) -> tuple[float, int]:
    start = time.perf_counter()
    with connection.cursor() as cur:
        buf = bytearray()
        sql = (
            "COPY (SELECT steward_id, t, lon, lat FROM bench_track_points "
            f"WHERE t >= {t0} AND t < {t1}) TO STDOUT (FORMAT BINARY)"
        )
        with cur.cursor.copy(sql) as copy:
            for block in copy:
                buf += block
    rows = np.frombuffer(bytes(buf[19:-2]), dtype=POINT_ROW)
    sid, t = rows["sid"].astype(np.int64), rows["t"].astype(np.float64)
    lon, lat = rows["lon"].astype(np.float64), rows["lat"].astype(np.float64)
    # No ORDER BY (the tracks design has none either): group and order in numpy. Rows come back
    # mostly in write order, which a stable sort (timsort on runs) passes in linear time.
    order = np.argsort(sid, kind="stable")
    sid, t, lon, lat = sid[order], t[order], lon[order], lat[order]
    cuts0 = np.flatnonzero(np.diff(sid)) + 1
    if (np.diff(t)[np.setdiff1d(np.arange(t.size - 1), cuts0 - 1)] < 0).any():
        order = np.lexsort((t, sid))
        sid, t, lon, lat = sid[order], t[order], lon[order], lat[order]
    cuts = np.flatnonzero(np.diff(sid)) + 1
    per = dict(
        zip(
            sid[np.r_[0, cuts]].tolist(),
            zip(np.split(t, cuts), np.split(lon, cuts), np.split(lat, cuts), strict=True),
            strict=True,
        )
    )
    return time.perf_counter() - start, len(per)


def teardown(office: StreetOffice) -> None:
    TrackUpload.objects.filter(street_office=office).delete()
    Steward.objects.filter(street_office=office).delete()
    Community.objects.filter(street_office=office).delete()
    office.delete()


def size_of(relation: str) -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT pg_total_relation_size(%s::regclass)", [relation])
        return int(cur.fetchone()[0])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stewards", type=int, default=4600)
    ap.add_argument("--seconds", type=int, default=7200)
    args = ap.parse_args()

    began = time.perf_counter()
    data = walks(args.stewards, args.seconds)
    n_points = args.stewards * args.seconds
    office, stewards, uploads = setup(args.stewards)
    ids = [s.pk for s in stewards]
    start, end = local_day_bounds(DAY)
    print(
        f"District-day track store: {args.stewards:,} stewards × {args.seconds / 3600:.1f} h at 1 Hz"
        f" = {n_points:,} points (synthesised in {time.perf_counter() - began:.1f} s)"
    )
    try:
        w_tracks = write_tracks(uploads, data)
        with connection.cursor() as cur:
            cur.execute(f"ANALYZE {PARTITION}")
        bytes_tracks = size_of(PARTITION)

        # Every read runs READS times and the best counts: the first warms the cache, for both
        # designs and the floor alike.
        floor = r_tracks = 1e9
        for _ in range(READS):
            t = time.perf_counter()
            fetched = fetch_binary(LOAD_POINTS, {"ids": ids, "start": start, "end": end})
            floor = min(floor, time.perf_counter() - t)
            del fetched
            t = time.perf_counter()
            loaded = load_points(ids, start, end)
            r_tracks = min(r_tracks, time.perf_counter() - t)
            assert sum(v[0].size for v in loaded.values()) == n_points
            del loaded

        w_points = write_point_table(stewards, data)
        bytes_points = size_of("bench_track_points")
        with connection.cursor() as cur:
            cur.execute("ANALYZE bench_track_points")
        r_points = 1e9
        for _ in range(READS):
            secs, n_read = read_point_table(start.timestamp(), end.timestamp())
            r_points = min(r_points, secs)
            assert n_read == args.stewards

        print(f"{'design':<34}{'write s':>9}{'points/s':>12}{'B/point':>9}{'read day s':>12}")
        print(
            f"{'tracks (line + times[], chosen)':<34}{w_tracks:>9.1f}{n_points / w_tracks:>12,.0f}"
            f"{bytes_tracks / n_points:>9.1f}{r_tracks:>12.1f}"
        )
        print(
            f"{'point table (1 row per fix)':<34}{w_points:>9.1f}{n_points / w_points:>12,.0f}"
            f"{bytes_points / n_points:>9.1f}{r_points:>12.1f}"
        )
        print(
            f"read floor (fetch the day's blobs in binary, no decoding, warm): {floor:.1f} s; "
            f"load_points / floor = {r_tracks / floor:.2f}"
        )
        print(
            f"tracks vs point table: {bytes_points / bytes_tracks:.1f}x smaller, "
            f"write {w_points / w_tracks:.1f}x faster, read {r_points / r_tracks:.1f}x faster"
        )
    finally:
        with connection.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS bench_track_points")
        teardown(office)
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {PARTITION}")
    print(f"total bench wall time {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
