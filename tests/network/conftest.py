"""A street office over the whole Wudaokou OSM extract, its network imported, three pairs holding
claims on the ways the tests edit, and a week of walked coverage before the re-import."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon

from geo.importers.streets import import_streets
from geo.models import Community, Segment, StreetOffice
from grids import assignment
from grids.models import Claim
from patrols.models import SegmentCoverage
from stewards.models import Pair
from tests.grids import factories as f
from tests.network import osm_edits as edits

FIRST_IMPORT = dt.date(2025, 3, 1)
PATROL_DAYS = [FIRST_IMPORT + dt.timedelta(days=i) for i in range(1, 8)]
REIMPORT = dt.date(2025, 4, 1)
SOURCE = "osm-net"


@dataclass
class Network:
    osm_path: Path
    office: StreetOffice
    community: Community
    pairs: dict[str, Pair]
    ways: dict[str, str]  # role → OSM way id
    split_node: str


def way_of(segment: Segment) -> str:
    return segment.source_id.split(":")[0].split(".")[0]


def claimed_m(day: dt.date) -> dict[tuple[int, str], float]:
    """{(pair id, way id): metres claimed on ``day``} from the claims and their segments."""
    out: dict[tuple[int, str], float] = {}
    for claim in Claim.objects.on(day).select_related("segment"):
        key = (claim.pair_id, way_of(claim.segment))
        out[key] = out.get(key, 0.0) + claim.segment.length_m
    return out


def _pick_ways(osm: edits.OsmFile) -> tuple[dict[str, str], str]:
    use = osm.node_use()
    ways = osm.walkable_ways()
    split = next((w, n) for w in ways if (n := edits.interior_free_node(osm, w, use)) is not None)
    taken = {split[0].get("id")}
    merge = edits.mergeable_pair(osm, use, exclude=taken)
    assert merge is not None, "the extract has two ways to merge"
    taken |= set(merge)
    long_ways = [w.get("id") for w in ways if len(edits.refs(w)) >= 4 and w.get("id") not in taken]
    picked = {
        "split": split[0].get("id"),
        "merge_a": merge[0],
        "merge_b": merge[1],
        "delete": long_ways[0],
        "redraw": long_ways[1],
    }
    return picked, split[1]


@pytest.fixture
def network(wudaokou_osm: Path, tmp_path: Path) -> Network:
    so = f.office()
    so.geom = MultiPolygon(Polygon.from_bbox((116.30, 39.98, 116.34, 40.02)), srid=4326)
    so.save()
    comm = f.community(so)
    path = tmp_path / "base.osm"
    path.write_bytes(wudaokou_osm.read_bytes())
    import_streets(path, source=SOURCE, on=FIRST_IMPORT)
    osm = edits.OsmFile.read(path)
    ways, split_node = _pick_ways(osm)
    pairs = {name: f.pair(comm, name=name, formed_on=dt.date(2025, 1, 3)) for name in "ABC"}
    segs = Segment.objects.current().filter(source=SOURCE)
    by_way: dict[str, list[int]] = {}
    for s in segs:
        by_way.setdefault(way_of(s), []).append(s.pk)
    holders = {"split": "A", "redraw": "A", "delete": "B", "merge_a": "C", "merge_b": "C"}
    for role, pair_name in holders.items():
        assignment.assign(pairs[pair_name], by_way[ways[role]], valid_from=FIRST_IMPORT)
    # A week of walks on every claimed segment: history that must survive the re-import.
    SegmentCoverage.objects.bulk_create(
        SegmentCoverage(
            segment_id=c.segment_id,
            pair_id=c.pair_id,
            street_office=so,
            day=day,
            claimed=True,
            walked_m=c.segment.length_m,
            covered_share=1.0,
            covered_bits="1111",
            patrol_count=1,
        )  # fmt: skip
        for c in Claim.objects.select_related("segment")
        for day in PATROL_DAYS
    )
    return Network(path, so, comm, pairs, ways, split_node)


def edited_copy(net: Network, tmp_path: Path, *which: str) -> Path:
    """The extract with the named mapper edits applied, written next to it."""
    osm = edits.OsmFile.read(net.osm_path)
    if "footway" in which:
        edits.join_footway(osm, net.ways["split"], net.split_node)
    if "delete" in which:
        edits.delete_way(osm, net.ways["delete"])
    if "redraw" in which:
        edits.redraw_way(osm, net.ways["redraw"])
    if "merge" in which:
        edits.merge_ways(osm, net.ways["merge_a"], net.ways["merge_b"])
    return osm.write(tmp_path / f"edited-{'-'.join(which)}.osm")
