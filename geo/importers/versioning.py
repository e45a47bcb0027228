"""A street re-import as a new network version: match old and new pieces, retire, insert, classify.

The matching is set-based in PostGIS (`geo.queries`); here the links it finds are grouped into
connected pieces of change and each group is classified:

- unchanged: a new piece with the geometry of a segment in use (the segment stays, renumbered if
  its source id moved);
- new / retired: a piece with no counterpart on the other side;
- split: one old segment, several new pieces; merged: several old, one new; re-drawn: the rest.

Apps above `geo` (claims) subscribe with `on_network_change` and are called inside the import's
transaction, so a dry run (rolled back) reports exactly what applying it would do.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import shapely
from django.db import connection

from geo import queries
from geo.local_days import local_today
from geo.models import NETWORK_EPOCH, NetworkImport, Segment

# Pieces within this distance (metres) of each other are the same street, drawn again.
TOLERANCE_M = 3.0
# Overlap along both lines needed for a link; a street that merely meets another at a junction
# overlaps it by at most TOLERANCE_M.
MIN_LINK_M = 1.5 * TOLERANCE_M
CLASSES = ("unchanged", "new", "retired", "split", "merged", "redrawn")


@dataclass(frozen=True)
class Link:
    old_id: int
    new_id: int
    new_along_m: float  # metres of the new piece along the old segment
    old_along_m: float  # metres of the old segment along the new piece


@dataclass
class NetworkChange:
    """What one import did to the network; handlers add their findings to ``report``."""

    run: NetworkImport
    day: dt.date
    kept: list[int] = field(default_factory=list)
    renumbered: list[int] = field(default_factory=list)
    retired: list[int] = field(default_factory=list)
    created: list[int] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    old_class: dict[int, str] = field(default_factory=dict)
    new_class: dict[int, str] = field(default_factory=dict)
    report: dict = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Segments per class: unchanged/new/retired by segment, split/merged/re-drawn by old segment
        (merged: by new segment, the piece several old ones became)."""
        counts = Counter({c: 0 for c in CLASSES})
        counts["unchanged"] = len(self.kept)
        counts["renumbered"] = len(self.renumbered)
        for cls in self.old_class.values():
            if cls in ("retired", "split", "redrawn"):
                counts[cls] += 1
        for cls in self.new_class.values():
            if cls in ("new", "merged"):
                counts[cls] += 1
        return dict(counts)


Handler = Callable[[NetworkChange], None]
_HANDLERS: list[Handler] = []


def on_network_change(handler: Handler) -> Handler:
    """Register ``handler`` to run after every import changed the network (e.g. carry claims)."""
    if handler not in _HANDLERS:
        _HANDLERS.append(handler)
    return handler


def notify(change: NetworkChange) -> None:
    for handler in _HANDLERS:
        handler(change)


def _classify(change: NetworkChange) -> None:
    """Connected groups of linked old/new segments, each given one class."""
    parent: dict[tuple[str, int], tuple[str, int]] = {}

    def find(x: tuple[str, int]) -> tuple[str, int]:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i in change.retired:
        find(("old", i))
    for i in change.created:
        find(("new", i))
    for link in change.links:
        parent[find(("old", link.old_id))] = find(("new", link.new_id))
    groups: dict[tuple[str, int], list[tuple[str, int]]] = defaultdict(list)
    for node in list(parent):
        groups[find(node)].append(node)
    for members in groups.values():
        olds = [i for side, i in members if side == "old"]
        news = [i for side, i in members if side == "new"]
        if not news:
            cls = "retired"
        elif not olds:
            cls = "new"
        elif len(olds) == 1 and len(news) > 1:
            cls = "split"
        elif len(olds) > 1 and len(news) == 1:
            cls = "merged"
        else:
            cls = "redrawn"
        change.old_class.update((i, cls) for i in olds)
        change.new_class.update((i, cls) for i in news)


def load_pieces(columns: dict[str, np.ndarray]) -> None:
    """COPY the new pieces into the temp table import_piece (geometry as EWKB, SRID 4326)."""
    ewkb = shapely.to_wkb(shapely.set_srid(columns["geom"], 4326), hex=True, include_srid=True)
    with connection.cursor() as cur:
        # Nested imports (tests, callers' transactions) may still see an earlier copy: start clean.
        for table in ("import_piece", "import_same", "import_link"):
            cur.execute(f"DROP TABLE IF EXISTS pg_temp.{table}")
        cur.execute(
            "CREATE TEMP TABLE import_piece (source_id text PRIMARY KEY, name text, road_class text,"
            " geom geometry(LineString, 4326)) ON COMMIT DROP"
        )
        with cur.copy("COPY import_piece (source_id, name, road_class, geom) FROM STDIN") as copy:
            for row in zip(
                columns["source_id"], columns["name"], columns["road_class"], ewkb, strict=True
            ):
                copy.write_row(row)
        cur.execute("CREATE INDEX ON import_piece USING gist (geom)")
        cur.execute("ANALYZE import_piece")


def apply_pieces(source: str, run: NetworkImport, *, replace: bool = True) -> NetworkChange:
    """Match import_piece against the source's segments in use and write the new version."""
    change = NetworkChange(run=run, day=run.imported_on)
    params = {"source": source, "day": run.imported_on, "run": run.pk}
    # A first import describes streets that were there all along: valid since the epoch, so past
    # days (demo history, late uploads) are measured on them. Later imports date their changes.
    first = not Segment.objects.current().filter(source=source).exists()
    new_from = NETWORK_EPOCH if first else run.imported_on
    with connection.cursor() as cur:
        cur.execute(queries.SAME_GEOMETRY, params)
        cur.execute(queries.SAME_GEOMETRY_ONE_EACH)
        cur.execute("SELECT old_id FROM import_same")
        change.kept = [r[0] for r in cur.fetchall()]
        cur.execute(
            queries.OVERLAP_LINKS,
            {
                **params,
                "tol": TOLERANCE_M,
                "tol_deg": TOLERANCE_M / 80_000,
                "min_link": MIN_LINK_M,
            },  # fmt: skip
        )
        if replace:
            cur.execute(queries.RETIRE_UNMATCHED, params)
            change.retired = [r[0] for r in cur.fetchall()]
            # Renumbering is safe only once every unmatched segment has left the unique index.
            cur.execute(queries.KEPT_BEFORE_RENUMBER)
            change.report["renumbered"] = [
                {"id": i, "source_id": sid, "name": name, "road_class": cls}
                for i, sid, name, cls in cur.fetchall()
            ]
            cur.execute(queries.RENUMBER_KEPT[0])
            cur.execute(queries.RENUMBER_KEPT[1])
            change.renumbered = [r[0] for r in cur.fetchall()]
        cur.execute(queries.INSERT_NEW, {**params, "day": new_from})
        new_ids = dict((sid, i) for i, sid in cur.fetchall())
        change.created = sorted(new_ids.values())
        cur.execute("SELECT old_id, source_id, new_along, old_along FROM import_link")
        retired = set(change.retired)
        change.links = [
            Link(old, new_ids[sid], new_along, old_along)
            for old, sid, new_along, old_along in cur.fetchall()
            if old in retired and sid in new_ids
        ]
    _classify(change)
    return change


def revert_network(run: NetworkImport, on: dt.date | None = None) -> None:
    """Undo what ``run`` did to the network from ``on`` (default today); claims are the caller's
    business, done first. Undone on its own day, the import's pieces were never in use."""
    old = run.report.get("renumbered", [])
    params = {"run": run.pk, "today": max(on or local_today(), run.imported_on)}
    with connection.cursor() as cur:
        cur.execute(queries.REVERT_CREATED, params)
        cur.execute(queries.REVERT_RENUMBERED[0], {"ids": [o["id"] for o in old]})
        cur.execute(queries.REVERT_RETIRED, params)
        cur.execute(queries.REVERT_RENUMBERED[1], {"old": json.dumps(old)})


def change_features(change: NetworkChange) -> dict:
    """GeoJSON of every segment the import retired or added, with its side and class: taken
    inside the transaction, so a dry run's map still has the pieces it rolled back."""
    sides = {i: ("old", c) for i, c in change.old_class.items()}
    sides.update({i: ("new", c) for i, c in change.new_class.items()})
    with connection.cursor() as cur:
        cur.execute(
            "SELECT s.id, s.name, s.length_m, ST_AsGeoJSON(s.geom, 6) FROM geo_segment s"
            " WHERE s.id = ANY(%s) ORDER BY s.id",
            [list(sides)],
        )
        rows = cur.fetchall()
    features = [
        {
            "type": "Feature",
            "id": sid,
            "geometry": json.loads(geom),
            "properties": {
                "name": name,
                "length_m": round(length, 1),
                "side": sides[sid][0],
                "class": sides[sid][1],
            },
        }
        for sid, name, length, geom in rows
    ]
    return {"type": "FeatureCollection", "features": features}
