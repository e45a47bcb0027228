"""Editing an OSM XML extract the way mappers do, for re-import tests (stdlib ElementTree).

Each edit picks its way from the file itself (walkable highway, enough nodes, nodes not shared with
other ways where that matters), so the tests do not depend on hand-picked ids.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from geo.importers.streets import WALKABLE_CLASSES

NEW_ID = 9_000_000_000  # ids for mapper-added nodes and ways, far above the extract's


@dataclass
class OsmFile:
    tree: ET.ElementTree
    next_id: int = NEW_ID

    @classmethod
    def read(cls, path: Path) -> OsmFile:
        return cls(ET.parse(path))

    @property
    def root(self) -> ET.Element:
        return self.tree.getroot()

    def write(self, path: Path) -> Path:
        self.tree.write(path, encoding="UTF-8", xml_declaration=True)
        return path

    def new_id(self) -> str:
        self.next_id += 1
        return str(self.next_id)

    def nodes(self) -> dict[str, ET.Element]:
        return {n.get("id"): n for n in self.root.iter("node")}

    def way(self, way_id: str) -> ET.Element:
        return next(w for w in self.root.iter("way") if w.get("id") == way_id)

    def walkable_ways(self) -> list[ET.Element]:
        return [
            w
            for w in self.root.iter("way")
            if _tag(w, "highway") in WALKABLE_CLASSES and _tag(w, "area") != "yes"
        ]

    def node_use(self) -> Counter:
        """How many times each node appears in any way (>1: a junction or a closing node)."""
        return Counter(nd.get("ref") for w in self.root.iter("way") for nd in w.iter("nd"))

    def lonlat(self, node_id: str) -> tuple[float, float]:
        n = self.nodes()[node_id]
        return float(n.get("lon")), float(n.get("lat"))

    def add_node(self, lon: float, lat: float) -> str:
        """A new node, placed before the first way: readers stream nodes first (GDAL's OSM
        driver ignores nodes that come after the ways using them)."""
        node_id = self.new_id()
        node = ET.Element(
            "node", id=node_id, visible="true", version="1", lat=f"{lat:.7f}", lon=f"{lon:.7f}"
        )
        first_way = next(i for i, el in enumerate(self.root) if el.tag == "way")
        self.root.insert(first_way, node)
        return node_id


def _tag(el: ET.Element, key: str) -> str | None:
    for t in el.iter("tag"):
        if t.get("k") == key:
            return t.get("v")
    return None


def refs(way: ET.Element) -> list[str]:
    return [nd.get("ref") for nd in way.iter("nd")]


def _set_refs(way: ET.Element, new_refs: list[str]) -> None:
    for nd in list(way.iter("nd")):
        way.remove(nd)
    first_tag = next((i for i, c in enumerate(way) if c.tag == "tag"), len(way))
    for i, ref in enumerate(new_refs):
        way.insert(first_tag + i, ET.Element("nd", ref=ref))


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat = math.radians((a[1] + b[1]) / 2)
    return math.hypot((b[0] - a[0]) * 111_320 * math.cos(lat), (b[1] - a[1]) * 110_540)


def join_footway(osm: OsmFile, way_id: str, node_id: str, length_m: float = 30.0) -> str:
    """A new footway from ``node_id`` (an interior node of ``way_id``) sideways: a new junction."""
    w = refs(osm.way(way_id))
    i = w.index(node_id)
    (x0, y0), (x1, y1) = osm.lonlat(w[i - 1]), osm.lonlat(w[i + 1])
    x, y = osm.lonlat(node_id)
    dx, dy = (x1 - x0) * math.cos(math.radians(y)), y1 - y0
    norm = math.hypot(dx, dy) or 1.0
    # Perpendicular to the way, length_m long.
    px, py = -dy / norm, dx / norm
    far = osm.add_node(
        x + px * length_m / (111_320 * math.cos(math.radians(y))), y + py * length_m / 110_540
    )
    footway = ET.SubElement(osm.root, "way", id=osm.new_id(), visible="true", version="1")
    for ref in (node_id, far):
        ET.SubElement(footway, "nd", ref=ref)
    ET.SubElement(footway, "tag", k="highway", v="footway")
    return footway.get("id")


def delete_way(osm: OsmFile, way_id: str) -> None:
    osm.root.remove(osm.way(way_id))


def redraw_way(osm: OsmFile, way_id: str, shift_m: float = 1.0) -> None:
    """Re-draw ``way_id`` with a new node between each pair of consecutive nodes, shifted
    ``shift_m`` sideways (a mapper tracing the street again from better imagery)."""
    way = osm.way(way_id)
    old = refs(way)
    new = [old[0]]
    for a, b in zip(old, old[1:], strict=False):
        (x0, y0), (x1, y1) = osm.lonlat(a), osm.lonlat(b)
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2
        dx, dy = (x1 - x0) * math.cos(math.radians(my)), y1 - y0
        norm = math.hypot(dx, dy) or 1.0
        px, py = -dy / norm * shift_m, dx / norm * shift_m
        new += [
            osm.add_node(mx + px / (111_320 * math.cos(math.radians(my))), my + py / 110_540),
            b,
        ]
    _set_refs(way, new)


def merge_ways(osm: OsmFile, keep_id: str, drop_id: str) -> None:
    """Join ``drop_id`` onto the end of ``keep_id`` (they share keep's last / drop's first node)."""
    keep, drop = osm.way(keep_id), osm.way(drop_id)
    _set_refs(keep, refs(keep) + refs(drop)[1:])
    osm.root.remove(drop)


def interior_free_node(osm: OsmFile, way: ET.Element, use: Counter) -> str | None:
    """An interior node of ``way`` shared with no other way, at least 25 m from both ends of its
    stretch between junctions, so that a footway joined there splits a piece in two real halves.
    Not on the way's last stretch: the pieces after the new junction are renumbered."""
    w = refs(way)
    junctions = [i for i, r in enumerate(w) if use[r] > 1 or i in (0, len(w) - 1)]
    for a, b in zip(junctions[:-1], junctions[1:-1], strict=False):
        for i in range(a + 1, b):
            p = osm.lonlat(w[i])
            if _metres(osm.lonlat(w[a]), p) > 25 and _metres(p, osm.lonlat(w[b])) > 25:
                return w[i]
    return None


def mergeable_pair(osm: OsmFile, use: Counter, exclude: set[str]) -> tuple[str, str] | None:
    """Two walkable ways of the same class and name where one ends at the other's start, at a node
    no third way uses (so the merge removes a piece boundary)."""
    starts: dict[str, ET.Element] = {}
    ways = [w for w in osm.walkable_ways() if w.get("id") not in exclude and len(refs(w)) >= 2]
    for w in ways:
        starts.setdefault(refs(w)[0], w)
    for a in ways:
        end = refs(a)[-1]
        b = starts.get(end)
        if (
            b is not None
            and b is not a
            and use[end] == 2
            and refs(a)[0] != refs(b)[-1]
            and _tag(a, "highway") == _tag(b, "highway")
            and _tag(a, "name") == _tag(b, "name")
        ):
            return a.get("id"), b.get("id")
    return None
