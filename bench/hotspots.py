"""Benchmark: Gi* at 50 k and 200 k hexagons, ours against esda's G_Local in the same run, and the API.

    .venv/bin/python -m bench.hotspots [--sides 224,448] [--api-reports 8518] [--skip-api]

Every measured run is its own subprocess, so its peak memory (ru_maxrss) is its own:

* ours: `hazards.gi_star` (the function the API calls) at 999 permutations, seed 7;
* esda, 1 process: `G_Local(transform="B", star=True, permutations=999, seed=7, n_jobs=1)` with its
  simulations kept, as hotspots computed before (then the tie-aware p from them): the per-core peer;
* esda, all cores: the same with esda's default n_jobs=-1 (joblib workers; their memory is not in
  the figure). At 200 k cells only this one runs, without kept simulations (it would need 1.6 GB).

p-values are compared exactly: at 50 k ours against the old computation (tie-aware p from esda's
kept simulations); at 200 k our exceedance counts folded the way esda folds them against esda's
p_sim. Target: ours <= 1.2x esda (1 process) with the same p-values, <= 500 MB.

The API part builds a city-extent street office (≈ 2,500 km², like the 311 file of issue 18) with
clustered reports in a rolled-back transaction and calls GET /api/hazards/hotspots/ at the default
150 m (≈ 43,000 cells), again (cached), and at 100 m (over the cap: the hexagon grows). Target:
<= 10 s and <= 500 MB at 50,000 cells.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

CELL = 100.0
PERMS = 999
SEED = 7


def hex_lattice(side: int) -> np.ndarray:
    """Centres of a side×side flat-topped hexagon grid with edge CELL (neighbours √3·CELL apart)."""
    col, row = np.meshgrid(np.arange(side), np.arange(side))
    x = col.ravel() * 1.5 * CELL
    y = (row.ravel() + (col.ravel() % 2) / 2) * np.sqrt(3) * CELL
    return np.c_[x, y]


def counts(xy: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(1)
    y = rng.poisson(0.4, len(xy)).astype(float)
    centre = xy[len(xy) // 2]
    return y + rng.poisson(3 * np.exp(-((xy - centre) ** 2).sum(1) / (2 * (25 * CELL) ** 2)))


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_gi(kind: str, side: int, out: str) -> None:
    """One timed Gi* run; writes p-values to `out` and prints seconds and peak RSS as JSON."""
    warnings.simplefilter("ignore")
    from hazards import gi_star as gs

    xy = hex_lattice(side)
    y = counts(xy)
    adj = gs.hex_neighbours(xy, CELL)
    before = rss_mb()
    res: dict = {}
    if kind == "ours":
        t = time.perf_counter()
        _, z = gs.gi_star_z(y, adj)
        ge, le = gs.exceedances(y, adj, permutations=PERMS, seed=SEED)
        p, side_ = gs.p_from_counts(ge, le, PERMS)
        gs.benjamini_hochberg(p, 0.05)
        secs = time.perf_counter() - t
        larger = np.where(PERMS - ge < ge, PERMS - ge, ge)  # esda's folded count
        np.savez(out, p=p, p_esda=(larger + 1) / (PERMS + 1))
    else:
        import esda
        import libpysal

        w = libpysal.weights.DistanceBand(
            xy, threshold=np.sqrt(3) * CELL * 1.01, binary=True, silence_warnings=True
        )
        keep = kind != "esda-nokeep"
        jobs = 1 if kind == "esda-1" else -1
        t = time.perf_counter()
        g = esda.G_Local(
            y, w, transform="B", star=True, permutations=PERMS, seed=SEED,
            keep_simulations=keep, n_jobs=jobs,
        )  # fmt: skip
        if keep:
            p, _ = gs.tie_aware_p(g.Gs, g.rGs)
            gs.benjamini_hochberg(p, 0.05)
        secs = time.perf_counter() - t
        np.savez(out, p=p if keep else np.array([]), p_esda=g.p_sim)
    res = {"seconds": secs, "peak_mb": rss_mb(), "added_mb": rss_mb() - before, "cells": len(y)}
    print(json.dumps(res))


def run_child(*args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.hotspots", "--child", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def gi_part(side: int, tmp: str) -> None:
    n = side * side
    big = n > 100_000
    kinds = ["ours", "esda-nokeep"] if big else ["ours", "esda-1", "esda"]
    res, p = {}, {}
    for kind in kinds:
        out = os.path.join(tmp, f"{kind}-{side}.npz")
        res[kind] = run_child("gi", kind, str(side), out)
        p[kind] = np.load(out)
    print(f"\nGi* on {n:,} hexagons, {PERMS} permutations (each run its own process)")
    labels = {
        "ours": "ours (hazards.gi_star, 1 process)",
        "esda-1": "esda G_Local n_jobs=1, kept simulations",
        "esda": "esda G_Local n_jobs=-1 (2 procs), kept sims",
        "esda-nokeep": "esda G_Local n_jobs=-1, keep_simulations=False",
    }
    for kind in kinds:
        r = res[kind]
        print(
            f"  {labels[kind]:48s} {r['seconds']:7.2f} s   peak RSS {r['peak_mb']:7.0f} MB "
            f"(+{r['added_mb']:.0f} MB during the run)"
        )
    peer = "esda-nokeep" if big else "esda-1"
    ratio = res["ours"]["seconds"] / res[peer]["seconds"]
    ok = "met" if ratio <= 1.2 and res["ours"]["peak_mb"] <= 500 else "NOT met"
    print(f"  ratio ours / {peer}: {ratio:.2f}x  (target <= 1.20x, <= 500 MB: {ok})")
    if big:
        same = np.allclose(p["ours"]["p_esda"], p[peer]["p_esda"], rtol=1e-6)
        print(f"  same p-values (esda's folded p from our counts vs esda p_sim): {same}")
    else:
        same = np.array_equal(p["ours"]["p"], p["esda-1"]["p"]) and np.array_equal(
            p["ours"]["p"], p["esda"]["p"]
        )
        print(f"  same p-values (tie-aware p vs the old computation on esda's simulations): {same}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--sides", default="224,448", help="hexagons per side (224: 50,176; 448: 200,704)"
    )
    ap.add_argument("--api-reports", type=int, default=8518)
    ap.add_argument("--skip-api", action="store_true")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        if args.child[0] == "gi":
            child_gi(args.child[1], int(args.child[2]), args.child[3])
        else:
            from bench.hotspots_api import child_api

            child_api(int(args.child[1]))
        return
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        for side in [int(s) for s in args.sides.split(",") if s]:
            gi_part(side, tmp)
    if not args.skip_api:
        r = run_child("api", str(args.api_reports))
        for line in r["lines"]:
            print(line)


if __name__ == "__main__":
    main()
