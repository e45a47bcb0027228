"""Parameterised SQL the ORM cannot express well; each statement says why it is raw."""

from __future__ import annotations

from django.db import connection

# Upsert by (source, source_id) from the COPY-filled temp table in one statement; the WHERE clause
# leaves unchanged rows untouched so their updated_at (and the counts) stay honest.
UPSERT_SEGMENTS = """
INSERT INTO geo_segment (name, road_class, source, source_id, geom, length_m, updated_at)
SELECT t.name, t.road_class, %(source)s, t.source_id, g.geom, ST_Length(g.geom::geography), now()
FROM import_segment t
CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_GeomFromWKB(decode(t.wkb, 'hex')), 4326) AS geom) g
ON CONFLICT (source, source_id) DO UPDATE
SET name = EXCLUDED.name, road_class = EXCLUDED.road_class, geom = EXCLUDED.geom,
    length_m = EXCLUDED.length_m, updated_at = now()
WHERE (geo_segment.name, geo_segment.road_class) IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.road_class)
   OR NOT ST_OrderingEquals(geo_segment.geom, EXCLUDED.geom)
RETURNING (xmax = 0) AS inserted
"""

DELETE_STALE_SEGMENTS = """
DELETE FROM geo_segment s
WHERE s.source = %(source)s
  AND NOT EXISTS (SELECT 1 FROM import_segment t WHERE t.source_id = s.source_id)
"""

# A segment belongs to the areas containing its midpoint: one set-based UPDATE per level
# (the ORM has no UPDATE ... FROM with a spatial join).
ASSIGN_SEGMENTS = [
    """
    UPDATE geo_segment s SET street_office_id = o.id
    FROM geo_streetoffice o
    WHERE ST_Intersects(o.geom, ST_LineInterpolatePoint(s.geom, 0.5))
      AND s.street_office_id IS DISTINCT FROM o.id
    """,
    """
    UPDATE geo_segment s SET community_id = c.id
    FROM geo_community c
    WHERE ST_Intersects(c.geom, ST_LineInterpolatePoint(s.geom, 0.5))
      AND s.community_id IS DISTINCT FROM c.id
    """,
    """
    UPDATE geo_segment s SET grid_id = g.id
    FROM geo_grid g
    WHERE ST_Intersects(g.geom, ST_LineInterpolatePoint(s.geom, 0.5))
      AND s.grid_id IS DISTINCT FROM g.id
    """,
]


def assign_segments_to_areas() -> int:
    """Attach every segment to the street office, community and grid containing its midpoint."""
    changed = 0
    with connection.cursor() as cur:
        for sql in ASSIGN_SEGMENTS:
            cur.execute(sql)
            changed += cur.rowcount
    return changed
