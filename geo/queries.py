"""Parameterised SQL the ORM cannot express well; each statement says why it is raw."""

from __future__ import annotations

from django.db import connection

# A re-import never deletes a segment. The new pieces (COPY-filled temp table import_piece) are
# matched against the source's segments in use, set-based in PostGIS:
# 1. equal geometry (either direction): the old segment stays, only its source id / name / class
#    follow the file (a new junction renumbers the pieces after it: that is no change);
# 2. the rest are linked by overlap along the line: metres of each line inside the other's flat-ended
#    buffer of TOLERANCE_M (geography, so metres anywhere); short contacts at junctions stay below
#    MIN_LINK_M and are no link;
# 3. unmatched old segments are retired on the import day, unmatched new pieces are inserted.
SAME_GEOMETRY = """
CREATE TEMP TABLE import_same ON COMMIT DROP AS
SELECT DISTINCT ON (s.id) s.id AS old_id, t.source_id
FROM import_piece t
JOIN geo_segment s ON s.source = %(source)s AND s.retired_on IS NULL
 AND s.geom ~= t.geom AND ST_Equals(s.geom, t.geom)
ORDER BY s.id, (s.source_id = t.source_id) DESC, t.source_id
"""
# A new piece equal to two old duplicates keeps only one of them.
SAME_GEOMETRY_ONE_EACH = """
DELETE FROM import_same a USING import_same b
WHERE a.source_id = b.source_id AND a.old_id > b.old_id
"""

OVERLAP_LINKS = """
CREATE TEMP TABLE import_link ON COMMIT DROP AS
WITH old AS (
    SELECT s.id, s.geom, s.length_m FROM geo_segment s
    WHERE s.source = %(source)s AND s.retired_on IS NULL
      AND NOT EXISTS (SELECT 1 FROM import_same m WHERE m.old_id = s.id)
), new AS (
    SELECT t.source_id, t.geom, ST_Length(t.geom::geography) AS length_m FROM import_piece t
    WHERE NOT EXISTS (SELECT 1 FROM import_same m WHERE m.source_id = t.source_id)
), pairs AS (
    SELECT o.id AS old_id, n.source_id,
           ST_Length(ST_Intersection(n.geom, ST_Buffer(o.geom::geography, %(tol)s, 'endcap=flat')::geometry)::geography) AS new_along,
           ST_Length(ST_Intersection(o.geom, ST_Buffer(n.geom::geography, %(tol)s, 'endcap=flat')::geometry)::geography) AS old_along
    FROM old o JOIN new n ON o.geom && ST_Expand(n.geom, %(tol_deg)s)
     AND ST_DWithin(o.geom::geography, n.geom::geography, %(tol)s)
)
SELECT old_id, source_id, new_along, old_along FROM pairs
WHERE least(new_along, old_along) >= %(min_link)s
"""

RETIRE_UNMATCHED = """
UPDATE geo_segment s SET retired_on = greatest(%(day)s, s.valid_from), retired_by_id = %(run)s,
       updated_at = now()
WHERE s.source = %(source)s AND s.retired_on IS NULL
  AND NOT EXISTS (SELECT 1 FROM import_same m WHERE m.old_id = s.id)
RETURNING s.id
"""

# What renumbering will overwrite, kept in the import's report so that undo can put it back.
KEPT_BEFORE_RENUMBER = """
SELECT s.id, s.source_id, s.name, s.road_class
FROM geo_segment s JOIN import_same m ON m.old_id = s.id JOIN import_piece t ON t.source_id = m.source_id
WHERE (s.source_id, s.name, s.road_class) IS DISTINCT FROM (t.source_id, t.name, t.road_class)
"""

# Two steps so that swapped source ids never collide with the unique index of segments in use.
RENUMBER_KEPT = [
    """
    UPDATE geo_segment s SET source_id = '~' || s.id
    FROM import_same m WHERE m.old_id = s.id AND s.source_id <> m.source_id
    """,
    """
    UPDATE geo_segment s SET source_id = t.source_id, name = t.name, road_class = t.road_class,
           updated_at = now()
    FROM import_same m JOIN import_piece t ON t.source_id = m.source_id
    WHERE m.old_id = s.id
      AND (s.source_id, s.name, s.road_class) IS DISTINCT FROM (t.source_id, t.name, t.road_class)
    RETURNING s.id
    """,
]

INSERT_NEW = """
INSERT INTO geo_segment (name, road_class, source, source_id, geom, length_m, updated_at,
                         valid_from, imported_by_id)
SELECT t.name, t.road_class, %(source)s, t.source_id, t.geom, ST_Length(t.geom::geography), now(),
       %(day)s, %(run)s
FROM import_piece t
WHERE NOT EXISTS (SELECT 1 FROM import_same m WHERE m.source_id = t.source_id)
  AND NOT EXISTS (SELECT 1 FROM geo_segment s WHERE s.source = %(source)s
                  AND s.source_id = t.source_id AND s.retired_on IS NULL)
RETURNING id, source_id
"""

# A segment in use belongs to the areas containing its midpoint (retired ones keep theirs): one set-based UPDATE per level
# (the ORM has no UPDATE ... FROM with a spatial join).
ASSIGN_SEGMENTS = [
    """
    UPDATE geo_segment s SET street_office_id = o.id
    FROM geo_streetoffice o
    WHERE s.retired_on IS NULL AND ST_Intersects(o.geom, ST_LineInterpolatePoint(s.geom, 0.5))
      AND s.street_office_id IS DISTINCT FROM o.id
    """,
    """
    UPDATE geo_segment s SET community_id = c.id
    FROM geo_community c
    WHERE s.retired_on IS NULL AND ST_Intersects(c.geom, ST_LineInterpolatePoint(s.geom, 0.5))
      AND s.community_id IS DISTINCT FROM c.id
    """,
    """
    UPDATE geo_segment s SET grid_id = g.id
    FROM geo_grid g
    WHERE s.retired_on IS NULL AND ST_Intersects(g.geom, ST_LineInterpolatePoint(s.geom, 0.5))
      AND s.grid_id IS DISTINCT FROM g.id
    """,
]


# Undoing an import: its new segments leave the network (an empty validity if undone the same
# day), the segments it retired come back, renumbered ones take their old ids (two steps again).
REVERT_CREATED = """
UPDATE geo_segment s SET retired_on = greatest(%(today)s, s.valid_from), retired_by_id = %(run)s
WHERE s.imported_by_id = %(run)s AND s.retired_on IS NULL
"""
REVERT_RETIRED = """
UPDATE geo_segment s SET retired_on = NULL, retired_by_id = NULL WHERE s.retired_by_id = %(run)s
  AND s.imported_by_id IS DISTINCT FROM %(run)s
"""
REVERT_RENUMBERED = [
    "UPDATE geo_segment s SET source_id = '~' || s.id WHERE s.id = ANY(%(ids)s)",
    """
    UPDATE geo_segment s SET source_id = o.source_id, name = o.name, road_class = o.road_class
    FROM jsonb_to_recordset(%(old)s::jsonb) AS o(id bigint, source_id text, name text, road_class text)
    WHERE o.id = s.id
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
