"""Set-based SQL of the area importer: parents, overlaps with existing areas, upsert, clipping.

Every statement works on the COPY-filled temp table import_area. Table and column names come from
the fixed LEVEL_SQL table below, never from user input.
"""

from __future__ import annotations

LEVEL_SQL = {
    "street_office": {"table": "geo_streetoffice", "parent": None, "fk": "street_office_id"},
    "community": {"table": "geo_community", "parent": "geo_streetoffice", "fk": "community_id"},
    "grid": {"table": "geo_grid", "parent": "geo_community", "fk": "grid_id"},
}

CREATE = """
CREATE TEMP TABLE import_area (
    i int PRIMARY KEY, code text, name text, parent_code text, geom geometry(MultiPolygon, 4326),
    parent_id bigint, office_id bigint
) ON COMMIT DROP
"""

# An explicit parent code first; else the parent containing a point inside the polygon.
PARENT_BY_CODE = """
UPDATE import_area t SET parent_id = p.id FROM {parent} p
WHERE t.parent_code IS NOT NULL AND p.code = t.parent_code
"""
PARENT_CODE_MISSING = "SELECT parent_code FROM import_area WHERE parent_code IS NOT NULL AND parent_id IS NULL LIMIT 1"
PARENT_BY_LOCATION = """
UPDATE import_area t SET parent_id = (
    SELECT p.id FROM {parent} p WHERE ST_Contains(p.geom, ST_PointOnSurface(t.geom)) ORDER BY p.id LIMIT 1
) WHERE t.parent_code IS NULL
"""
OFFICE_OF_COMMUNITY = "UPDATE import_area SET office_id = parent_id"
OFFICE_OF_GRID = """
UPDATE import_area t SET office_id = c.street_office_id FROM geo_community c WHERE c.id = t.parent_id
"""
DROP_ORPHANS = "DELETE FROM import_area WHERE parent_id IS NULL RETURNING i"
# The same code twice in one file: the last one wins, as a sequence of edits would.
DROP_REPEATS = """
DELETE FROM import_area a USING import_area b
WHERE a.code = b.code AND a.office_id IS NOT DISTINCT FROM b.office_id AND a.i < b.i
RETURNING a.i
"""

# Existing areas of the same level that an imported polygon overlaps (not itself by code), by more
# than a sliver: boundaries drawn from different sources share edges only approximately.
OVERLAPS = """
CREATE TEMP TABLE import_overlap ON COMMIT DROP AS
SELECT t.i, t.code AS new_code, t.name AS new_name, a.id AS area_id, a.code AS area_code,
       a.name AS area_name, ST_Area(ST_Intersection(t.geom, a.geom)::geography) AS overlap_m2,
       t.geom AS new_geom
FROM import_area t JOIN {table} a ON a.geom && t.geom AND ST_Intersects(a.geom, t.geom)
WHERE NOT (a.code = t.code AND ({same_office}))
"""
SLIVERS = """
DELETE FROM import_overlap o USING {table} a, import_area t
WHERE a.id = o.area_id AND t.i = o.i
  AND o.overlap_m2 <= greatest(%(min_m2)s,
                               %(min_share)s * least(ST_Area(a.geom::geography), ST_Area(t.geom::geography)))
"""
# The segments in use that the overlap would move from the existing area to the new one.
MOVING_SEGMENTS = """
SELECT o.new_code, o.new_name, o.area_code, o.area_name, round(o.overlap_m2)::bigint,
       coalesce(array_agg(s.id ORDER BY s.id) FILTER (WHERE s.id IS NOT NULL), '{{}}'),
       coalesce(sum(s.length_m), 0)
FROM import_overlap o
LEFT JOIN geo_segment s ON s.{fk} = o.area_id AND s.retired_on IS NULL
     AND ST_Intersects(o.new_geom, ST_LineInterpolatePoint(s.geom, 0.5))
GROUP BY o.i, o.new_code, o.new_name, o.area_id, o.area_code, o.area_name, o.overlap_m2
ORDER BY o.new_code, o.area_code
"""
# Replacing: the existing areas give up the part the new polygons take.
CLIP_OVERLAPPED = """
UPDATE {table} a
SET geom = ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Difference(a.geom, u.geom)), 3)),
    updated_at = now()
FROM (SELECT o.area_id, ST_Union(o.new_geom) AS geom FROM import_overlap o GROUP BY o.area_id) u
WHERE a.id = u.area_id
"""

_UPDATE_IF_CHANGED = """
DO UPDATE SET name = EXCLUDED.name, geom = EXCLUDED.geom, source = EXCLUDED.source,
              updated_at = now(){extra_set}
WHERE ({table}.name{extra_cols}) IS DISTINCT FROM (EXCLUDED.name{extra_excluded})
   OR NOT ST_Equals({table}.geom, EXCLUDED.geom)
RETURNING (xmax = 0) AS inserted
"""
UPSERT = {
    "street_office": """
INSERT INTO geo_streetoffice (name, code, geom, source, attributes, updated_at)
SELECT name, code, geom, %(source)s, '{}', now() FROM import_area
ON CONFLICT (code) """
    + _UPDATE_IF_CHANGED.format(
        table="geo_streetoffice", extra_set="", extra_cols="", extra_excluded=""
    ),
    "community": """
INSERT INTO geo_community (name, code, geom, source, attributes, updated_at, street_office_id)
SELECT name, code, geom, %(source)s, '{}', now(), office_id FROM import_area
ON CONFLICT (street_office_id, code) """
    + _UPDATE_IF_CHANGED.format(
        table="geo_community", extra_set="", extra_cols="", extra_excluded=""
    ),
    "grid": """
INSERT INTO geo_grid (name, code, geom, source, attributes, updated_at, street_office_id, community_id)
SELECT name, code, geom, %(source)s, '{}', now(), office_id, parent_id FROM import_area
ON CONFLICT (street_office_id, code) """
    + _UPDATE_IF_CHANGED.format(
        table="geo_grid",
        extra_set=", community_id = EXCLUDED.community_id",
        extra_cols=", geo_grid.community_id",
        extra_excluded=", EXCLUDED.community_id",
    ),
}
