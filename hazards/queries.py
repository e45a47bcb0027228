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
), hex AS MATERIALIZED (
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
), cell AS MATERIALIZED (
    -- The hexagon holding each point, by arithmetic (ST_HexagonGrid's cell (i, j) is centred at
    -- x = 1.5·i·size, y = √3·size·(j + ½·[i odd])): the nearest of three candidate centres. O(points),
    -- where a join against the un-indexable grid would be O(points × cells).
    SELECT DISTINCT ON (p.id) p.g, c.i, c.j
    FROM pts p
    CROSS JOIN LATERAL (
        SELECT ci.i, round(ST_Y(p.g) / (sqrt(3) * %(size)s) - ((ci.i %% 2 + 2) %% 2) * 0.5)::int AS j
        FROM (SELECT round(ST_X(p.g) / (1.5 * %(size)s))::int + d AS i
              FROM generate_series(-1, 1) AS d) ci
    ) c
    ORDER BY p.id,
             (ST_X(p.g) - 1.5 * %(size)s * c.i) ^ 2
             + (ST_Y(p.g) - sqrt(3) * %(size)s * (c.j + ((c.i %% 2 + 2) %% 2) * 0.5)) ^ 2,
             c.i, c.j
), raw AS MATERIALIZED (
    SELECT i, j, count(*) AS n FROM cell GROUP BY i, j
), orphan AS MATERIALIZED (
    -- Cells holding points whose hexagon was dropped at the edge (its centre is outside).
    -- EXCEPT hashes both sides; NOT EXISTS was planned as a nested loop (the grid function's row
    -- estimate is 1), 5,000 × 42,000 comparisons, 77 s on a city extent.
    SELECT i, j FROM raw EXCEPT SELECT i, j FROM hex
), moved AS (
    -- Those few points go to the nearest kept cell.
    SELECT n.i, n.j
    FROM cell JOIN orphan USING (i, j)
    CROSS JOIN LATERAL (
        SELECT hex.i, hex.j FROM hex ORDER BY hex.c <-> cell.g, hex.i, hex.j LIMIT 1
    ) n
), counts AS MATERIALIZED (
    SELECT i, j, sum(n) AS n
    FROM (SELECT i, j, n FROM raw UNION ALL SELECT i, j, 1 FROM moved) u
    GROUP BY i, j
)
SELECT hex.i, hex.j, ST_X(hex.c), ST_Y(hex.c),
       ST_AsGeoJSON(ST_Transform(hex.geom, 4326), 6),
       coalesce(counts.n, 0)
FROM hex LEFT JOIN counts ON counts.i = hex.i AND counts.j = hex.j
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


def office_area_m2(office_id: int, *, srid: int) -> float:
    """The office's area in square metres (in the metric `srid`), to size the hexagon grid first."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_Area(ST_Transform(geom, %s)) FROM geo_streetoffice WHERE id = %s",
            [srid, office_id],
        )
        return float(cur.fetchone()[0] or 0.0)


# md5 over every report column the hotspot statistic reads, plus the boundary: one scan of the
# office's reports (index on street_office), cheaper than any hotspot computation it saves.
_INPUTS_SQL = """
SELECT md5(
    coalesce((SELECT md5(ST_AsEWKB(geom)::text) FROM geo_streetoffice WHERE id = %(office)s), '')
    || coalesce((
        SELECT string_agg(
            concat_ws(':', id, status, location_flag, category_id, created_at,
                      ST_AsEWKB(location)::text),
            ',' ORDER BY id)
        FROM patrols_hazardreport WHERE street_office_id = %(office)s
    ), '')
)
"""


def hotspot_inputs_fingerprint(office_id: int) -> str:
    """Changes whenever a report of the office is added, removed or changed in a way Gi* could see."""
    with connection.cursor() as cur:
        cur.execute(_INPUTS_SQL, {"office": office_id})
        return cur.fetchone()[0]
