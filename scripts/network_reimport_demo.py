"""Re-import the demo district's streets after four mapper edits and print the figures.

    .venv/bin/python scripts/network_reimport_demo.py [--apply] [--undo]

Needs a loaded demo (`manage.py load_demo --days N`). The edits are made on a copy of the demo's
street layer (data/shapefiles/wudaokou.gpkg): a footway joined to the middle of a claimed way, a
claimed way deleted, a claimed way re-drawn with new nodes, two claimed ways merged. Without
--apply it is a dry run. Prints claims, claimed metres per pair, coverage rows and days, and checks
that every past day's coverage map is unchanged.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

import numpy as np  # noqa: E402
import pyogrio  # noqa: E402
import shapely  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db.models import Sum  # noqa: E402

from demo.district import DEMO_OFFICE_CODE, DEMO_SOURCE  # noqa: E402
from geo.importers.change_report import report_lines  # noqa: E402
from geo.importers.streets import import_streets  # noqa: E402
from geo.local_days import local_today  # noqa: E402
from geo.models import NetworkImport, Segment, StreetOffice  # noqa: E402
from grids.models import Claim  # noqa: E402
from grids.street_changes import undo_network_import  # noqa: E402
from patrols import coverage_queries  # noqa: E402
from patrols.models import PairDayVerdict, SegmentCoverage  # noqa: E402


def _shift(line: shapely.LineString, metres: float = 1.0) -> shapely.LineString:
    """The line with a new vertex between each two, moved ``metres`` sideways."""
    xy = np.asarray(line.coords)
    mid = (xy[:-1] + xy[1:]) / 2
    d = xy[1:] - xy[:-1]
    k = np.cos(np.radians(mid[:, 1]))
    norm = np.hypot(d[:, 0] * k, d[:, 1])[:, None]
    off = np.column_stack([-d[:, 1] / (111_320 * k), d[:, 0] * k / 110_540]) / norm * metres
    out = np.empty((len(xy) + len(mid), 2))
    out[0::2], out[1::2] = xy, mid + off
    return shapely.LineString(out)


def edit_streets(
    path: Path, claimed_ways: dict[str, set[int]], delete: bool = True
) -> tuple[Path, dict[str, str]]:
    """claimed_ways: {way id: pairs holding a piece of it}. The merged ways are held by the same
    single pair (merging two pairs' pieces hands the piece to one of them: see the report)."""
    df = pyogrio.read_dataframe(path, layer="streets")
    ids = df["osm_id"].astype(str).to_numpy()
    use = Counter(tuple(c) for g in df.geometry for c in np.round(np.asarray(g.coords), 9))
    picks: dict[str, str] = {}
    for i, g in enumerate(df.geometry):
        xy = np.asarray(g.coords)
        if ids[i] not in claimed_ways or len(xy) < 5:
            continue
        interior = [j for j in range(2, len(xy) - 2) if use[tuple(np.round(xy[j], 9))] == 1]
        if interior and "split" not in picks:
            j = interior[len(interior) // 2]
            d = xy[j + 1] - xy[j - 1]
            k = np.cos(np.radians(xy[j, 1]))
            side = np.array([-d[1] / k, d[0] * k])  # perpendicular to the way, in degrees
            far = xy[j] + side / np.hypot(side[0] * k, side[1]) * 0.0003
            foot = {"osm_id": "999000001", "name": "", "highway": "footway"}
            df.loc[len(df)] = {**foot, "geometry": shapely.LineString([xy[j], far])}
            picks["split"] = ids[i]
        elif "delete" not in picks:
            picks["delete"] = ids[i]
        elif "redraw" not in picks:
            picks["redraw"] = ids[i]
            df.loc[i, "geometry"] = _shift(g)
        if len(picks) == 3:
            break
    starts = {tuple(np.round(np.asarray(g.coords)[0], 9)): i for i, g in enumerate(df.geometry)}
    for i, g in enumerate(df.geometry):
        end = tuple(np.round(np.asarray(g.coords)[-1], 9))
        k = starts.get(end)
        if (
            k is not None and k != i and use[end] == 2 and ids[i] in claimed_ways
            and len(claimed_ways[ids[i]]) == 1 and claimed_ways[ids[i]] == claimed_ways.get(ids[k])
            and ids[i] not in picks.values() and ids[k] not in picks.values()
            and df.loc[i, "highway"] == df.loc[k, "highway"] and df.loc[i, "name"] == df.loc[k, "name"]
        ):  # fmt: skip
            merged = np.vstack([np.asarray(g.coords), np.asarray(df.geometry[k].coords)[1:]])
            df.loc[i, "geometry"] = shapely.LineString(merged)
            picks["merge"] = f"{ids[i]}+{ids[k]}"
            df = df.drop(index=k)
            break
    if delete:
        df = df[df["osm_id"].astype(str) != picks["delete"]]
    else:
        picks.pop("delete")
    out = Path(tempfile.mkdtemp()) / "wudaokou-edited.gpkg"
    pyogrio.write_dataframe(df, out, layer="streets")
    return out, picks


def figures(office: StreetOffice, day) -> dict:
    claims = Claim.objects.on(day).filter(street_office=office)
    by_pair = dict(
        claims.values("pair_id").annotate(m=Sum("segment__length_m")).values_list("pair_id", "m")
    )
    days = sorted(set(SegmentCoverage.objects.values_list("day", flat=True)))
    maps = {
        d.isoformat(): json.loads(coverage_queries.coverage_geojson(office.id, d, d)) for d in days
    }
    return {
        "segments_in_use": Segment.objects.current().filter(source=DEMO_SOURCE).count(),
        "segments_all": Segment.objects.filter(source=DEMO_SOURCE).count(),
        "claims_today": claims.count(),
        "claimed_km_today": round(sum(by_pair.values()) / 1000, 3),
        "by_pair": by_pair,
        "coverage_rows": SegmentCoverage.objects.count(),
        "coverage_days": len(days),
        "verdicts": PairDayVerdict.objects.count(),
        "maps": {d: {f["id"]: f for f in m["features"]} for d, m in maps.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--apply", action="store_true")
    parser.add_argument("--undo", action="store_true", help="undo the import again afterwards")
    parser.add_argument("--keep-deleted-way", action="store_true", help="leave out the deletion")
    args = parser.parse_args()
    office = StreetOffice.objects.get(code=DEMO_OFFICE_CODE)
    today = local_today()
    ways: dict[str, set[int]] = {}
    for sid, pair in (
        Claim.objects.on(today)
        .filter(segment__source=DEMO_SOURCE)
        .values_list("segment__source_id", "pair_id")
    ):
        ways.setdefault(sid.split(":")[0], set()).add(pair)
    path, picks = edit_streets(
        settings.DEMO_DATA_DIR / "wudaokou.gpkg", ways, delete=not args.keep_deleted_way
    )
    print("edits:", picks)
    before = figures(office, today)
    result = import_streets(path, layer="streets", source=DEMO_SOURCE, dry_run=not args.apply)
    print(result.summary())
    print("\n".join(report_lines(result.counts, result.report.get("claims", []))))
    after = figures(office, today)
    for key in ("segments_in_use", "segments_all", "claims_today", "claimed_km_today",
                "coverage_rows", "coverage_days", "verdicts"):  # fmt: skip
        print(f"{key}: {before[key]} -> {after[key]}")
    moved = {
        p: (round(m, 1), round(after["by_pair"].get(p, 0.0), 1))
        for p, m in before["by_pair"].items()
        if abs(after["by_pair"].get(p, 0.0) - m) > 1.0
    }
    print("pairs whose claimed metres changed by > 1 m:", moved or "none")
    same = sum(before["maps"][d] == after["maps"][d] for d in before["maps"])
    print(f"past-day coverage maps identical: {same}/{len(before['maps'])}")
    if args.apply and args.undo:
        undo_network_import(NetworkImport.objects.get(pk=result.run_id))
        print("undone:", figures(office, today)["segments_in_use"], "segments in use")


if __name__ == "__main__":
    main()
