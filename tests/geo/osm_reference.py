"""An independent reading of an OSM XML file (ElementTree + pyproj.Geod), to check the importer."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from xml.etree import ElementTree

from pyproj import Geod

GEOD = Geod(ellps="WGS84")


def walkable_ways(path: Path, classes: frozenset[str]) -> list[list[tuple[float, float]]]:
    """Node coordinate lists of the ways whose highway tag is in `classes` (areas excluded)."""
    root = ElementTree.parse(path).getroot()  # noqa: S314 - our own trusted test data
    nodes = {n.get("id"): (float(n.get("lon")), float(n.get("lat"))) for n in root.iter("node")}
    ways = []
    for way in root.iter("way"):
        tags = {t.get("k"): t.get("v") for t in way.iter("tag")}
        if tags.get("highway") not in classes or tags.get("area") == "yes":
            continue
        refs = [nd.get("ref") for nd in way.iter("nd")]
        if all(r in nodes for r in refs):
            ways.append(refs)
    return [[nodes[r] for r in refs] for refs in ways], ways


def expected_segments(ways_refs: list[list[str]]) -> int:
    """Ways split at every interior node used more than once (by another way or the same way)."""
    uses = Counter(r for refs in ways_refs for r in refs)
    return sum(1 + sum(1 for r in refs[1:-1] if uses[r] >= 2) for refs in ways_refs)


def geodesic_length_m(coords: list[tuple[float, float]]) -> float:
    lons, lats = zip(*coords, strict=True)
    return GEOD.line_length(lons, lats)
