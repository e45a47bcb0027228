"""The base map the system serves itself: streets with their names, area outlines and labels.

Maps must work with no internet, so instead of online tiles every map draws this layer
(`geo/static/alley/basemap.js`). One request answers one bounding box at one zoom level:

- streets merged per (name, road class), simplified to about one pixel at that zoom; minor
  classes appear only when zoomed in far enough to tell them apart;
- outlines of street offices, communities (z ≥ 13) and grids (z ≥ 15);
- label points: one per named street (z ≥ 15), area labels by level and zoom.

Everything is computed in PostGIS (one statement per kind, bbox on the GiST index); the answer is
plain GeoJSON, cached by the browser and revalidated by ETag.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.db import connection

MIN_ZOOM, MAX_ZOOM = 8, 20
# Widest bbox (degrees) answered at each zoom: a screen at that zoom is far smaller.
MAX_SPAN_AT_ZOOM_10 = 12.0

MAJOR = ("motorway", "trunk", "primary", "secondary", "tertiary")
MINOR = ("service", "footway", "path", "steps", "cycleway", "track", "pedestrian")


@dataclass(frozen=True)
class BasemapQuery:
    """A bbox (minx, miny, maxx, maxy in WGS-84) at a zoom level."""

    minx: float
    miny: float
    maxx: float
    maxy: float
    zoom: int

    @classmethod
    def parse(cls, bbox: str | None, zoom: str | None) -> BasemapQuery:
        """From ?bbox=minx,miny,maxx,maxy&z=N; ValueError with a reason a person can act on."""
        if not bbox:
            raise ValueError("bbox is required: bbox=minx,miny,maxx,maxy (WGS-84 degrees)")
        try:
            minx, miny, maxx, maxy = (float(v) for v in bbox.split(","))
        except ValueError:
            raise ValueError("bbox must be four numbers: minx,miny,maxx,maxy") from None
        if not (-180 <= minx < maxx <= 180 and -90 <= miny < maxy <= 90):
            raise ValueError("bbox must have minx < maxx and miny < maxy, within ±180/±90")
        try:
            z = int(zoom if zoom not in (None, "") else 16)
        except ValueError:
            raise ValueError("z must be a whole number (the map's zoom level)") from None
        if not MIN_ZOOM <= z <= MAX_ZOOM:
            raise ValueError(f"z must be between {MIN_ZOOM} and {MAX_ZOOM}")
        span = MAX_SPAN_AT_ZOOM_10 * 2 ** (10 - z)
        if max(maxx - minx, maxy - miny) > max(span, 0.05):
            raise ValueError(f"bbox too large for zoom {z}: at most {span:.3g}° a side")
        return cls(minx, miny, maxx, maxy, z)

    @property
    def tolerance(self) -> float:
        """About one screen pixel at this zoom, in degrees (simplification tolerance)."""
        return 360 / (256 * 2**self.zoom)

    def params(self) -> dict:
        return {
            "minx": self.minx,
            "miny": self.miny,
            "maxx": self.maxx,
            "maxy": self.maxy,
            "tol": self.tolerance,
            "z": self.zoom,
            "major": list(MAJOR),
            "minor": list(MINOR),
        }


_ENVELOPE = "ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, 4326)"

# Streets of one name and class become one feature; minor classes only from z 15, unnamed
# residential streets from z 14. The label point is the point of the street nearest its centre.
STREETS = f"""
WITH box AS (SELECT {_ENVELOPE} AS env),
picked AS (
  SELECT s.name, s.road_class, s.geom
  FROM geo_segment s, box
  WHERE s.geom && box.env
    AND (%(z)s >= 15 OR NOT s.road_class = ANY(%(minor)s))
    AND (%(z)s >= 14 OR s.road_class = ANY(%(major)s) OR s.name <> '')
    AND (%(z)s >= 12 OR s.road_class = ANY(%(major)s))
),
merged AS (
  SELECT name, road_class, ST_LineMerge(ST_Collect(geom)) AS geom
  FROM picked GROUP BY name, road_class
)
SELECT name, road_class,
       ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, %(tol)s), 6) AS gj,
       CASE WHEN name <> '' AND %(z)s >= 15
            THEN ST_AsGeoJSON(ST_ClosestPoint(geom, ST_Centroid(geom)), 6) END AS label
FROM merged
ORDER BY road_class, name
"""

# Outlines (boundaries, not filled polygons: the base map must never hide what is drawn on it).
AREAS = f"""
WITH box AS (SELECT {_ENVELOPE} AS env),
areas AS (
  SELECT 'office' AS kind, name, code, geom FROM geo_streetoffice
  UNION ALL SELECT 'community', name, code, geom FROM geo_community WHERE %(z)s >= 13
  UNION ALL SELECT 'grid', name, code, geom FROM geo_grid WHERE %(z)s >= 15
)
SELECT a.kind, a.name, a.code,
       ST_AsGeoJSON(ST_SimplifyPreserveTopology(ST_Boundary(a.geom), %(tol)s), 6) AS gj,
       CASE WHEN (a.kind = 'office' AND %(z)s < 15)
              OR (a.kind = 'community' AND %(z)s BETWEEN 14 AND 17)
              OR (a.kind = 'grid' AND %(z)s >= 16)
            THEN ST_AsGeoJSON(ST_PointOnSurface(a.geom), 6) END AS label
FROM areas a, box
WHERE a.geom && box.env
ORDER BY CASE a.kind WHEN 'grid' THEN 0 WHEN 'community' THEN 1 ELSE 2 END, a.code
"""


def _feature(gj: str, props: dict) -> dict:
    return {"type": "Feature", "geometry": json.loads(gj), "properties": props}


def basemap(q: BasemapQuery) -> dict:
    """The FeatureCollection for one bbox and zoom: lines (kind street/office/community/grid) and
    label points (kind label, with the labelled thing's level in `of`)."""
    features: list[dict] = []
    labels: list[dict] = []
    with connection.cursor() as cur:
        cur.execute(STREETS, q.params())
        for name, road_class, gj, label in cur.fetchall():
            features.append(_feature(gj, {"kind": "street", "name": name, "class": road_class}))
            if label:
                labels.append(_feature(label, {"kind": "label", "of": "street", "name": name}))
        cur.execute(AREAS, q.params())
        for kind, name, code, gj, label in cur.fetchall():
            features.append(_feature(gj, {"kind": kind, "name": name, "code": code}))
            if label:
                labels.append(_feature(label, {"kind": "label", "of": kind, "name": name}))
    return {"type": "FeatureCollection", "zoom": q.zoom, "features": features + labels}


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
