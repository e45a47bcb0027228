"""Benchmark: a Lanshan-sized district-day of the patrol rule (verdicts + coverage).

    python -m bench.compliance [--pairs 2300] [--workers 2] [--db]

Synthesises ~2,300 pairs × 2 h at 1 Hz (two members each) on the Wudaokou OSM network replicated
in tiles until every pair has ~1 km of alleys to claim, as numpy arrays (no ingest). Times:

* floor: the bare same-second distance over the same points (projection + interpolation-free
  hypot per second, numpy), the least any implementation must touch;
* compute: every pair's verdict + coverage through `patrols.pair_day.assess_on_segments`, the
  function the management command and the upload re-check use, single process and with workers;
* with --db: the same office written to PostGIS (segments, pairs, claims) and
  `evaluate_street_office` run end to end with an in-memory points loader (the storage of
  verdicts and coverage rows included), then again with the tracks written to and read back
  from the track store (`patrols.tracks.load_points`, what `evaluate_patrols` does), then 50
  single pair-day re-checks (`evaluate_pair_day`)
  for the p95; and a bare SQL same-second distance join over a 5 % sample of the points as a
  second floor (scaled to the full size).

The district-day figure (stored path, 2 processes) is divided by the per-core floor of the same
work: the same tracks read from PostGIS (`load_points`, in 2 forked processes over the
evaluation's chunks) and paired by the second; wall time for the targets, CPU seconds beside it.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from multiprocessing import get_context

import numpy as np
import shapely

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from geo.importers.streets import prepare_segments  # noqa: E402
from geo.local_days import local_day_bounds_epoch as local_day_bounds  # noqa: E402
from geo.local_projection import LocalProjection  # noqa: E402
from patrols.pair_day import SegmentSet, assess_on_segments  # noqa: E402
from patrols.rule_config import RuleParams  # noqa: E402

DAY = date(2024, 5, 14)
PARAMS = RuleParams()
CLAIM_M = 1000.0
WALK_S = 7800  # 2 h 10 min


def network(n_pairs: int) -> tuple[np.ndarray, np.ndarray]:
    """The Wudaokou walkable network, replicated in a grid of tiles until it holds n_pairs km."""
    # The whole OSM extract (104 km walkable), not the demo's streets clipped to its bounds (91 km):
    # the figures in docs/design were measured on this network.
    columns, _, _ = prepare_segments(settings.BASE_DIR / "tests" / "data" / "osm" / "wudaokou.osm")
    base = np.asarray(columns["geom"], dtype=object)
    proj = LocalProjection.around(*shapely.get_coordinates(base).T)
    base_len = shapely.length(proj.geometries(base)).sum()
    tiles = int(np.ceil(n_pairs * CLAIM_M * 2.5 / base_len))
    minx, miny, maxx, maxy = shapely.total_bounds(base)
    w, h = maxx - minx, maxy - miny
    cols = int(np.ceil(np.sqrt(tiles)))
    parts = []
    for k in range(tiles):
        dx, dy = (k % cols) * w, (k // cols) * h
        parts.append(shapely.transform(base, lambda c, dx=dx, dy=dy: c + [dx, dy]))
    lines = np.concatenate(parts)
    return np.arange(1, len(lines) + 1), lines


def claim_walks(
    lines_m: np.ndarray, n_pairs: int, seed: int = 7
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Each pair claims the segments of a ~1 km walk through the network (unclaimed segments,
    one connected path), and patrols that path back and forth. Returns (segment index lists,
    route coordinates in metres)."""
    rng = np.random.default_rng(seed)
    coords = [shapely.get_coordinates(g) for g in lines_m]
    lengths = shapely.length(lines_m)
    ends = np.array([[c[0], c[-1]] for c in coords]).round(1)  # (n, 2, 2)
    keys = [tuple(e) for e in ends.reshape(-1, 2)]
    node_of = {}
    nodes = np.array([node_of.setdefault(k, len(node_of)) for k in keys]).reshape(-1, 2)
    adj: dict[int, list[tuple[int, int]]] = {}
    for i, (a, b) in enumerate(nodes):
        adj.setdefault(a, []).append((i, 0))
        adj.setdefault(b, []).append((i, 1))
    taken = np.zeros(len(lines_m), dtype=bool)
    groups, routes = [], []
    for s0 in rng.permutation(len(lines_m)):
        if taken[s0] or lengths[s0] < 5:
            continue
        path, pts, total, node = [s0], [coords[s0]], lengths[s0], nodes[s0][1]
        taken[s0] = True
        while total < CLAIM_M:
            options = [(j, side) for j, side in adj[node] if not taken[j] and lengths[j] >= 1]
            if not options:
                break
            j, side = options[rng.integers(len(options))]
            taken[j] = True
            path.append(j)
            pts.append(coords[j] if side == 0 else coords[j][::-1])
            total += lengths[j]
            node = nodes[j][1 - side]
        if total >= 400:
            groups.append(np.array(path))
            routes.append(np.concatenate(pts))
            if len(groups) == n_pairs:
                return groups, routes
    raise SystemExit(f"network too small: {len(groups)} claims for {n_pairs} pairs")


def route_track(route: np.ndarray, t0: float, seed: int, phase: float, proj: LocalProjection):
    """One member walking the route back and forth at 1.1 m/s for WALK_S seconds, 4 m GPS noise."""
    rng = np.random.default_rng(seed)
    coords = np.concatenate([route, route[::-1][1:]])
    seg = np.diff(coords, axis=0)
    seg_len = np.hypot(seg[:, 0], seg[:, 1])
    keep = seg_len > 0
    coords = np.concatenate([coords[:1], coords[1:][keep]])
    seg, seg_len = seg[keep], seg_len[keep]
    cum = np.concatenate([[0.0], np.cumsum(seg_len)])
    s = (phase + 1.1 * np.arange(WALK_S)) % cum[-1]
    i = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, len(seg) - 1)
    f = (s - cum[i]) / seg_len[i]
    x = coords[i, 0] + f * seg[i, 0] + rng.normal(0, 4, WALK_S)
    y = coords[i, 1] + f * seg[i, 1] + rng.normal(0, 4, WALK_S)
    lon, lat = proj.inverse(x, y)
    return t0 + np.arange(WALK_S, dtype=float), lon, lat


def build(n_pairs: int):
    ids, lines = network(n_pairs)
    proj = LocalProjection.around(*shapely.get_coordinates(lines[:: max(1, len(lines) // 2000)]).T)
    segs = SegmentSet.build(ids, lines, proj, PARAMS)
    idx_groups, routes = claim_walks(segs.projected, n_pairs)
    groups = [ids[g] for g in idx_groups]
    t0 = local_day_bounds(DAY, PARAMS.timezone)[0] + 8 * 3600
    tracks, members = {}, {}
    for p, route in enumerate(routes):
        a, b = 2 * p + 1, 2 * p + 2
        members[p] = [a, b]
        tracks[a] = route_track(route, t0 + (p % 60) * 60, a, 0.0, proj)
        if p % 10 == 9:  # one pair in ten: the partner walks 200 m behind (not together)
            tracks[b] = route_track(route, t0 + (p % 60) * 60, b, 200.0, proj)
        else:
            tracks[b] = route_track(route, t0 + (p % 60) * 60, b, 5.0, proj)
    return ids, lines, proj, segs, groups, members, tracks


_STATE: dict = {}


def _init(state):
    _STATE.update(state)


def _work(pair_range: tuple[int, int]) -> tuple[int, int, int]:
    s = _STATE
    segs = (
        SegmentSet.build(s["ids"], s["lines"], s["proj"], PARAMS) if "segs" not in s else s["segs"]
    )
    s["segs"] = segs
    compliant = rows = 0
    for p in range(*pair_range):
        r = assess_on_segments(
            DAY, s["members"][p], s["groups"][p], s["tracks"], segs, s["proj"], PARAMS
        )
        compliant += r.verdict.compliant
        rows += int((r.is_claimed | (r.coverage.walked_m > 0)).sum())
    return pair_range[1] - pair_range[0], compliant, rows


def _floor_pairs(pair_range: tuple[int, int]) -> int:
    s = _STATE
    return _close_seconds([s["members"][p] for p in range(*pair_range)], s["tracks"], s["proj"])


def floor_numpy(members, tracks, proj, workers: int = 1) -> float:
    """Bare same-second distance between the two members of every pair (after projection), in
    `workers` processes split like the compute: so N processes are compared with N processes."""
    if workers > 1:
        state = {"members": members, "tracks": tracks, "proj": proj}
        chunks = np.array_split(np.arange(len(members)), workers * 4)
        ranges = [(int(c[0]), int(c[-1]) + 1) for c in chunks if len(c)]
        with get_context("fork").Pool(workers, initializer=_init, initargs=(state,)) as pool:
            pool.map(_floor_pairs, ranges[:workers])  # start the workers outside the timing
            began = time.perf_counter()
            pool.map(_floor_pairs, ranges)
            return time.perf_counter() - began
    began = time.perf_counter()
    _close_seconds(list(members.values()), tracks, proj)
    return time.perf_counter() - began


def _close_seconds(pairs, tracks, proj) -> int:
    close = 0
    for a, b in pairs:
        ta, lona, lata = tracks[a]
        tb, lonb, latb = tracks[b]
        xa, ya = proj.forward(lona, lata)
        xb, yb = proj.forward(lonb, latb)
        common, ia, ib = np.intersect1d(ta, tb, return_indices=True)
        close += int((np.hypot(xa[ia] - xb[ib], ya[ia] - yb[ib]) <= 30).sum())
    return close


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=2300)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--db", action="store_true", help="also run the stored, end-to-end path on PostGIS"
    )
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # progress shows through make and pipes
    print(
        f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
        f"{args.pairs} pairs, {args.workers} workers{', stored path' if args.db else ''}"
    )

    began = time.perf_counter()
    ids, lines, proj, segs, groups, members, tracks = build(args.pairs)
    n_points = sum(len(t[0]) for t in tracks.values())
    print(
        f"district: {len(ids):,} segments ({shapely.length(segs.projected).sum() / 1000:,.0f} km), "
        f"{segs.samples.n_samples:,} coverage pieces, {len(groups):,} pairs, {n_points:,} points "
        f"(built in {time.perf_counter() - began:.1f} s)"
    )

    floor = floor_numpy(members, tracks, proj)
    floors = {1: floor}
    print(f"floor (numpy same-second distance, 1 process): {floor:.2f} s")
    if args.workers > 1:
        floors[args.workers] = floor_numpy(members, tracks, proj, args.workers)
        print(
            f"floor (the same in {args.workers} processes, split like the compute): "
            f"{floors[args.workers]:.2f} s"
        )

    t = time.perf_counter()
    _init(
        {
            "ids": ids,
            "lines": lines,
            "proj": proj,
            "segs": segs,
            "members": members,
            "groups": groups,
            "tracks": tracks,
        }
    )
    n, ok, rows = _work((0, len(groups)))
    single = time.perf_counter() - t
    print(
        f"compute, 1 process: {single:.2f} s for {n} pair-days ({ok} compliant, {rows:,} coverage rows)"
        f" = {single / floor:.1f}x floor, {1000 * single / n:.1f} ms per pair-day"
    )
    if args.workers > 1:
        state = {
            "ids": ids,
            "lines": lines,
            "proj": proj,
            "members": members,
            "groups": groups,
            "tracks": tracks,
        }
        chunks = np.array_split(np.arange(len(groups)), args.workers * 4)
        ranges = [(int(c[0]), int(c[-1]) + 1) for c in chunks if len(c)]
        t = time.perf_counter()
        with get_context("fork").Pool(args.workers, initializer=_init, initargs=(state,)) as pool:
            results = pool.map(_work, ranges)
        multi = time.perf_counter() - t
        print(
            f"compute, {args.workers} processes: {multi:.2f} s ({sum(r[1] for r in results)} compliant)"
            f" = {multi / floors[args.workers]:.1f}x the floor in {args.workers} processes"
        )
    if args.db:
        from bench.compliance_db import run_db

        run_db(ids, lines, groups, members, tracks, floors)
    print(f"total bench wall time {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
