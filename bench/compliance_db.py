"""The stored path of bench.compliance (--db): PostGIS in, verdicts and coverage rows out."""

from __future__ import annotations

import os
import time
from datetime import date

import numpy as np
import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection, transaction

from geo.importers.streets import write_segments
from geo.models import Community, Segment, StreetOffice
from grids.models import Claim
from patrols.evaluation import evaluate_pair_day, evaluate_street_office
from stewards.models import Pair, PairMember, Steward

DAY = date(2024, 5, 14)
SOURCE = f"bench-compliance-{os.getpid()}"


class Loader:
    """points_loader over the synthetic arrays (stands in for patrols.tracks.load_points)."""

    def __init__(self, tracks: dict[int, tuple], steward_of: dict[int, int]) -> None:
        # tracks are keyed by synthetic member number; map database steward ids onto them.
        self.tracks = {sid: tracks[m] for sid, m in steward_of.items()}

    def __call__(self, steward_ids, start, end):
        a, b = start.timestamp(), end.timestamp()
        out = {}
        for sid in steward_ids:
            t, lon, lat = self.tracks[sid]
            i, j = np.searchsorted(t, [a, b])
            out[sid] = (t[i:j], lon[i:j], lat[i:j])
        return out


def _setup(
    lines: np.ndarray, groups, members
) -> tuple[StreetOffice, dict[int, int], dict[int, Pair]]:
    minx, miny, maxx, maxy = shapely.total_bounds(lines)
    box = GEOSGeometry(
        shapely.box(minx - 0.01, miny - 0.01, maxx + 0.01, maxy + 0.01).wkt, srid=4326
    )
    from django.contrib.gis.geos import MultiPolygon

    office = StreetOffice.objects.create(
        name="基准测试街道", code=SOURCE, geom=MultiPolygon(box, srid=4326)
    )
    community = Community.objects.create(
        name="基准社区", code="1", geom=office.geom, street_office=office
    )
    columns = {
        "geom": lines,
        "name": np.full(len(lines), ""),
        "road_class": np.full(len(lines), "footway"),
        "source_id": np.arange(1, len(lines) + 1).astype(str),
    }
    with transaction.atomic():
        write_segments(columns, source=SOURCE, replace=False)
    Segment.objects.filter(source=SOURCE).update(street_office=office, community=community)
    seg_id = dict(Segment.objects.filter(source=SOURCE).values_list("source_id", "id"))
    pairs = Pair.objects.bulk_create(
        [
            Pair(
                street_office=office, community=community, name=f"组{p}", formed_on=date(2024, 1, 1)
            )
            for p in members
        ]
    )
    stewards = Steward.objects.bulk_create(
        [
            Steward(street_office=office, community=community, name=f"管家{m}", status="active")
            for p in members
            for m in members[p]
        ]
    )
    steward_of, by_member = {}, {}
    it = iter(stewards)
    pm, claims = [], []
    for pair, p in zip(pairs, members, strict=True):
        for m in members[p]:
            s = next(it)
            steward_of[s.id] = m
            by_member[m] = s.id
            pm.append(PairMember(pair=pair, steward=s, joined_on=date(2024, 1, 1)))
        for sid in groups[p]:
            claims.append(
                Claim(
                    street_office=office,
                    pair=pair,
                    segment_id=seg_id[str(sid)],
                    valid_from=date(2024, 1, 1),
                )
            )
    PairMember.objects.bulk_create(pm)
    Claim.objects.bulk_create(claims, batch_size=5000)
    return office, steward_of, {p: pair for p, pair in zip(members, pairs, strict=True)}


def _sql_floor(tracks, members, sample_pairs: list[int]) -> float:
    """Bare same-second distance join in PostGIS over a sample of the points (timed: the join)."""
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE bench_pts (pair int, member int, t int, geom geometry(Point, 4326))"
        )
        with cur.copy("COPY bench_pts (pair, member, t, geom) FROM STDIN") as copy:
            for p in sample_pairs:
                for k, m in enumerate(members[p]):
                    t, lon, lat = tracks[m]
                    wkb = shapely.to_wkb(shapely.points(lon, lat), hex=True, include_srid=False)
                    for row in zip(t.astype(int).tolist(), wkb, strict=True):
                        copy.write_row((p, k, row[0], f"SRID=4326;{row[1]}"))
        cur.execute("ANALYZE bench_pts")
        began = time.perf_counter()
        cur.execute(
            """
            SELECT a.pair, count(*) FILTER (WHERE ST_DWithin(a.geom::geography, b.geom::geography, 30))
            FROM bench_pts a JOIN bench_pts b ON a.pair = b.pair AND a.t = b.t AND a.member = 0 AND b.member = 1
            GROUP BY a.pair
            """
        )
        cur.fetchall()
        took = time.perf_counter() - began
        cur.execute("DROP TABLE bench_pts")
    return took


def _vs_floor(seconds: float, workers: int, floors: dict[int, float]) -> str:
    if workers in floors:
        return f"{seconds / floors[workers]:.1f}x the numpy floor in {workers} process(es)"
    # No floor at this process count: compare process-seconds with the 1-process floor.
    return f"{seconds * workers / floors[1]:.1f}x the 1-process floor per core"


def cleanup(office: StreetOffice | None = None) -> None:
    offices = (
        [office]
        if office
        else list(StreetOffice.objects.filter(code__startswith="bench-compliance-"))
    )
    for o in offices:
        with transaction.atomic():
            Pair.objects.filter(street_office=o).delete()
            Steward.objects.filter(street_office=o).delete()
            Community.objects.filter(street_office=o).delete()
            Segment.objects.filter(source=o.code).delete()
            o.delete()


def run_db(ids, lines, groups, members, tracks, floors: dict[int, float]) -> None:
    """`floors`: the numpy floor by process count; every N-process figure is divided by the
    floor run in N processes (per core against per core)."""
    cleanup()  # leftovers of an interrupted run
    began = time.perf_counter()
    office, steward_of, pairs = _setup(lines, groups, members)
    print(f"db setup (segments, pairs, claims): {time.perf_counter() - began:.1f} s")
    loader = Loader(tracks, steward_of)
    try:
        for workers in (1, 2):
            t = time.perf_counter()
            stats = evaluate_street_office(office, DAY, DAY, points_loader=loader, workers=workers)
            full = time.perf_counter() - t
            print(
                f"evaluate_street_office ({workers} process(es), loaded + computed + stored): {full:.2f} s, "
                f"{stats.pair_days} pair-days, {stats.compliant} compliant, {stats.coverage_rows:,} coverage rows"
                f" = {_vs_floor(full, workers, floors)}"
            )
        # The same day read back from the track store (patrols.tracks.load_points) instead of
        # memory: what `evaluate_patrols` really does.
        from bench.track_store import make_uploads, write_tracks

        stewards = [
            s
            for s in Steward.objects.filter(id__in=list(steward_of)).order_by("id")
            if len(tracks[steward_of[s.id]][0]) >= 2  # absent members have no track
        ]
        wrote = write_tracks(make_uploads(stewards), [tracks[steward_of[s.id]] for s in stewards])
        t = time.perf_counter()
        stats = evaluate_street_office(office, DAY, DAY, workers=2)
        stored = time.perf_counter() - t
        print(
            f"evaluate_street_office (2 processes, tracks read from PostGIS + computed + stored): "
            f"{stored:.2f} s, {stats.compliant} compliant = {_vs_floor(stored, 2, floors)} "
            f"(tracks written in {wrote:.1f} s)"
        )
        ok = stored <= 30 and 2 in floors and stored / floors[2] <= 2.5
        print(
            f"target district-day <= 30 s and <= 2.5x the per-core floor: {'met' if ok else 'NOT met'}"
        )
        rng = np.random.default_rng(1)
        times = []
        for p in rng.choice(list(pairs), 50, replace=False):
            t = time.perf_counter()
            evaluate_pair_day(pairs[int(p)], DAY, points_loader=loader)
            times.append(time.perf_counter() - t)
        print(
            f"evaluate_pair_day (upload re-check, stored): p50 {1000 * np.percentile(times, 50):.0f} ms, "
            f"p95 {1000 * np.percentile(times, 95):.0f} ms over 50 pairs"
        )
        sample = sorted(
            rng.choice(list(members), max(1, len(members) // 20), replace=False).tolist()
        )
        took = _sql_floor(tracks, members, sample)
        scaled = took * len(members) / len(sample)
        print(
            f"floor (PostGIS same-second ST_DWithin join, {len(sample)} pairs, scaled x{len(members) / len(sample):.0f}):"
            f" {scaled:.1f} s; evaluate_street_office = {full / scaled:.2f}x this floor"
        )
    finally:
        t = time.perf_counter()
        cleanup(office)
        print(f"cleanup {time.perf_counter() - t:.1f} s")
