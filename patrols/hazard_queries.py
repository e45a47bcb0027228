"""Parameterised raw SQL for hazard reports, each with the reason the ORM was not enough."""

from __future__ import annotations

from datetime import datetime

from django.db import connection

# ST_HexagonGrid is a set-returning function the ORM cannot join against; one statement builds the
# grid over the office in a metric SRID, assigns every report to exactly one hexagon (nearest
# centre, so edge points are settled) and counts, so no per-cell or per-report round trips.
_HEX_COUNTS_SQL = """
WITH area AS (
    SELECT ST_Transform(geom, %(srid)s) AS g FROM geo_streetoffice WHERE id = %(office)s
), hex AS (
    SELECT h.i, h.j, h.geom, ST_Centroid(h.geom) AS c
    FROM area, ST_HexagonGrid(%(size)s, area.g) AS h
    -- Cells mostly outside the office would look "cold" only because nobody reports there.
    WHERE ST_Intersects(ST_Centroid(h.geom), area.g)
), pts AS (
    SELECT r.id, ST_Transform(r.location, %(srid)s) AS g
    FROM patrols_hazardreport r, area
    WHERE r.street_office_id = %(office)s
      AND r.location IS NOT NULL
      AND r.location_flag = ''
      AND r.status NOT IN ('duplicate', 'rejected')
      AND (%(category)s::bigint IS NULL OR r.category_id = %(category)s::bigint)
      AND (%(start)s::timestamptz IS NULL OR r.created_at >= %(start)s::timestamptz)
      AND (%(end)s::timestamptz IS NULL OR r.created_at < %(end)s::timestamptz)
      AND ST_Intersects(ST_Transform(r.location, %(srid)s), area.g)
), assigned AS (
    -- Nearest cell centre = the hexagon containing the point (a hexagon grid is the Voronoi
    -- diagram of its centres); points in edge slivers go to the nearest kept cell.
    SELECT p.id, n.i, n.j
    FROM pts p CROSS JOIN LATERAL (
        SELECT hex.i, hex.j FROM hex ORDER BY hex.c <-> p.g, hex.i, hex.j LIMIT 1
    ) n
)
SELECT hex.i, hex.j, ST_X(hex.c), ST_Y(hex.c),
       ST_AsGeoJSON(ST_Transform(hex.geom, 4326), 6),
       count(assigned.id)
FROM hex LEFT JOIN assigned ON assigned.i = hex.i AND assigned.j = hex.j
GROUP BY hex.i, hex.j, hex.geom, hex.c
ORDER BY hex.i, hex.j
"""


def hex_counts(
    office_id: int,
    *,
    srid: int,
    size_m: float,
    category_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[tuple[int, int, float, float, str, int]]:
    """(i, j, centroid x, centroid y in `srid`, hexagon GeoJSON in 4326, report count) per cell."""
    with connection.cursor() as cur:
        cur.execute(
            _HEX_COUNTS_SQL,
            {
                "srid": srid,
                "office": office_id,
                "size": size_m,
                "category": category_id,
                "start": start,
                "end": end,
            },
        )
        return cur.fetchall()
