"""Parameterised SQL for coverage; each statement says why it is raw."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import NamedTuple

import numpy as np
import shapely
from django.db import connection

from geo.access import SUPERVISING_ROLES

# Segments as WKB straight into shapely in one vectorised call: building 30k GEOSGeometry objects
# through the ORM costs seconds, this costs milliseconds. The office's segments plus any segment
# its pairs claim (a claim may reach over the boundary); optionally only those in a bbox. With a
# day, only the network of that day (segments are versioned: geo.models.segments_on).
SEGMENTS_FOR_OFFICE = """
SELECT s.id, ST_AsBinary(s.geom)
FROM geo_segment s
WHERE (%(day)s::date IS NULL OR (s.valid_from <= %(day)s::date
                                 AND (s.retired_on IS NULL OR s.retired_on > %(day)s::date)))
  AND ((s.street_office_id = %(office)s
        OR s.id IN (SELECT c.segment_id FROM grids_claim c WHERE c.street_office_id = %(office)s))
       AND (%(bbox)s::float8[] IS NULL
            OR s.geom && ST_MakeEnvelope((%(bbox)s::float8[])[1], (%(bbox)s::float8[])[2],
                                         (%(bbox)s::float8[])[3], (%(bbox)s::float8[])[4], 4326)))
   OR s.id = ANY(%(include)s::bigint[])
ORDER BY s.id
"""


def segments_for_office(
    office_id: int,
    bbox: tuple[float, float, float, float] | None = None,
    include: list[int] | None = None,
    day: date | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(ids, lon/lat LineStrings) of the segments the office's coverage is measured on (within
    bbox if given; the network of ``day`` if given), plus the segments `include` (a pair's
    claims) wherever they are."""
    with connection.cursor() as cur:
        cur.execute(
            SEGMENTS_FOR_OFFICE,
            {
                "office": office_id,
                "bbox": list(bbox) if bbox else None,
                "include": list(include or []),
                "day": day,
            },
        )
        rows = cur.fetchall()
    if not rows:
        return np.zeros(0, dtype=np.int64), np.empty(0, dtype=object)
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    geoms = shapely.from_wkb([bytes(r[1]) for r in rows])
    return ids, geoms


# The map of a period draws the network of that period: every segment in use on one of its days
# (a period across a re-import draws both versions of a changed street, each with its own walks).
# Period coverage per segment: bit_or over days and pairs unions the walked pieces exactly (a
# share cannot be summed over days). by_pair keeps only the claiming pair's own walks. The ORM
# has neither bit_or/bit_count nor ST_AsGeoJSON with precision inside a json aggregate.
COVERAGE_GEOJSON = """
WITH cov AS (
    SELECT c.segment_id,
           bit_count(bit_or(c.covered_bits))::float8 / length(bit_or(c.covered_bits)) AS share,
           sum(c.patrol_count) AS patrols,
           max(c.last_patrolled_at) AS last_at
    FROM grids_segmentcoverage c
    WHERE c.street_office_id = %(office)s AND c.day BETWEEN %(start)s AND %(end)s
      AND (NOT %(by_pair)s OR c.claimed)
      AND c.walked_m > 0
    GROUP BY c.segment_id, length(c.covered_bits)
)
SELECT json_build_object(
    'type', 'FeatureCollection',
    'features', coalesce(json_agg(json_build_object(
        'type', 'Feature',
        'id', s.id,
        'geometry', ST_AsGeoJSON(
            CASE WHEN %(tolerance)s > 0 THEN ST_Simplify(s.geom, %(tolerance)s) ELSE s.geom END, 6
        )::json,
        'properties', json_build_object(
            'name', s.name, 'length_m', round(s.length_m::numeric, 1),
            'share', round(coalesce(cov.share, 0)::numeric, 3),
            'patrols', coalesce(cov.patrols, 0),
            'last', cov.last_at,
            'claimed', EXISTS (SELECT 1 FROM grids_claim cl WHERE cl.segment_id = s.id
                               AND cl.valid_from <= %(end)s
                               AND (cl.valid_to IS NULL OR cl.valid_to > %(start)s))
        )
    )), '[]'::json)
)
FROM geo_segment s
LEFT JOIN cov ON cov.segment_id = s.id
WHERE s.street_office_id = %(office)s
  AND s.valid_from <= %(end)s AND (s.retired_on IS NULL OR s.retired_on > %(start)s)
  AND (%(bbox)s::float8[] IS NULL
       OR s.geom && ST_MakeEnvelope((%(bbox)s::float8[])[1], (%(bbox)s::float8[])[2],
                                    (%(bbox)s::float8[])[3], (%(bbox)s::float8[])[4], 4326))
"""


def coverage_geojson(
    office_id: int,
    start: date,
    end: date,
    *,
    by_pair: bool = False,
    bbox: tuple[float, float, float, float] | None = None,
    tolerance: float = 0.0,
) -> str:
    """A FeatureCollection (as JSON text, built in PostGIS) of the office's segments with share
    walked and patrol count over [start, end]."""
    with connection.cursor() as cur:
        cur.execute(
            COVERAGE_GEOJSON,
            {
                "office": office_id,
                "start": start,
                "end": end,
                "by_pair": by_pair,
                "bbox": list(bbox) if bbox else None,
                "tolerance": tolerance,
            },
        )
        (doc,) = cur.fetchone()
    return doc if isinstance(doc, str) else __import__("json").dumps(doc)


# Claimed length covered over a period, rolled up per pair / community / grid / office: the union
# of walked pieces per segment (bit_or), weighted by segment length, over claimed segments only.
COVERAGE_ROLLUP = """
WITH claimed AS (
    SELECT DISTINCT cl.pair_id, cl.segment_id
    FROM grids_claim cl
    WHERE cl.street_office_id = %(office)s AND cl.valid_from <= %(end)s
      AND (cl.valid_to IS NULL OR cl.valid_to > %(start)s)
),
walked AS (
    SELECT c.pair_id, c.segment_id,
           bit_count(bit_or(c.covered_bits))::float8 / length(bit_or(c.covered_bits)) AS share
    FROM grids_segmentcoverage c
    WHERE c.street_office_id = %(office)s AND c.day BETWEEN %(start)s AND %(end)s AND c.claimed
    GROUP BY c.pair_id, c.segment_id, length(c.covered_bits)
)
SELECT {key} AS key, sum(s.length_m) AS claimed_m,
       sum(s.length_m * coalesce(w.share, 0)) AS walked_m
FROM claimed cl
JOIN geo_segment s ON s.id = cl.segment_id
JOIN patrols_pair p ON p.id = cl.pair_id
LEFT JOIN walked w ON w.pair_id = cl.pair_id AND w.segment_id = cl.segment_id
GROUP BY 1
ORDER BY 1
"""

ROLLUP_KEYS = {
    "pair": "cl.pair_id",
    "community": "p.community_id",
    "grid": "s.grid_id",
    "office": "%(office)s",
}


def coverage_rollup(office_id: int, start: date, end: date, level: str) -> list[dict]:
    """[{key, claimed_m, walked_m, share}] per pair, community, grid or the whole office."""
    key = ROLLUP_KEYS[level]  # a fixed column expression from the table above, never user text
    with connection.cursor() as cur:
        cur.execute(
            COVERAGE_ROLLUP.format(key=key), {"office": office_id, "start": start, "end": end}
        )
        rows = cur.fetchall()
    return [
        {
            "key": k,
            "claimed_m": round(c or 0, 1),
            "walked_m": round(w or 0, 1),
            "share": round((w or 0) / c, 4) if c else 0.0,
        }
        for k, c, w in rows
    ]


# One Mapbox vector tile of the coverage map, built by PostGIS (ST_AsMVT): the browser gets a few
# kB per tile however many segments the office has. Coverage is aggregated only for the segments
# in the tile. Whole calendar months of the period come from the month roll-up
# (patrols_segmentcoveragemonth, kept by triggers on the coverage table): one row per segment
# instead of ~30 pair-days; the days outside whole months from the pair-day rows (the
# (segment, day) index). The two parts partition the period, so summed patrols count every
# pair-day once, and bit_or unions the walked pieces whichever part they come from.
# Tile coordinates of a segment. From z14 up, straight from lon/lat, the tile's lon/lat box mapped
# linearly: longitude is linear in Web Mercator, and across one z14 tile latitude's curvature
# moves a point by < 0.1 m, under a tile unit (0.6 m), so the tile differs from the transformed one
# by at most one unit of 4096 in a few vertices. ST_Transform of every segment was half a z14
# tile's time. Below z14 the curvature reaches several units: the exact transform.
TILE_GEOM = """ST_AsMVTGeom(
        CASE WHEN %(z)s >= 14 THEN seg.geom ELSE ST_Transform(seg.geom, 3857) END,
        CASE WHEN %(z)s >= 14 THEN ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4326)::box2d
             ELSE ST_TileEnvelope(%(z)s, %(x)s, %(y)s)::box2d END,
        4096, 64, true)"""
# The tile carries what the map draws with: the segment id (as the feature id), share, patrols
# and claimed. A segment's name and length are read when it is clicked (/api/geo/segments/<id>/):
# unique per feature, they were a third of a z14 tile's bytes and ~0.7 ms of its ~8 ms of SQL.
COVERAGE_TILE_ROWS = """
WITH seg AS MATERIALIZED (
    SELECT s.id, s.geom
    FROM geo_segment s
    WHERE s.street_office_id = %(office)s
      AND s.valid_from <= %(end)s AND (s.retired_on IS NULL OR s.retired_on > %(start)s)
      AND s.geom && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 0.02), 4326)
),
-- Set-based, by the tile's segment ids (= ANY(ARRAY(...)): one index scan on the btree, whatever
-- the planner guesses of the tile's size). A LATERAL probe per segment re-ran a sort and a group
-- per segment: a third more of a z14 tile's time.
cov AS (
    SELECT part.segment_id,
           bit_count(bit_or(part.bits))::float8 / length(bit_or(part.bits)) AS share,
           sum(part.patrols) AS patrols
    FROM (
        SELECT m.segment_id, m.covered_bits AS bits, m.patrol_count AS patrols
        FROM patrols_segmentcoveragemonth m
        WHERE %(any_months)s AND m.segment_id = ANY (ARRAY(SELECT id FROM seg))
          AND m.month >= %(month_from)s AND m.month < %(month_to)s
          AND (NOT %(by_pair)s OR m.claimed)
        UNION ALL
        SELECT c.segment_id, c.covered_bits, c.patrol_count
        FROM grids_segmentcoverage c
        WHERE %(any_days)s AND c.segment_id = ANY (ARRAY(SELECT id FROM seg))
          AND c.day BETWEEN %(start)s AND %(end)s
          AND (c.day < %(month_from)s OR c.day >= %(month_to)s)
          AND (NOT %(by_pair)s OR c.claimed) AND c.walked_m > 0
    ) part
    GROUP BY part.segment_id, length(part.bits)
),
-- On the segment_id btree: the planner took the exclusion constraint's GiST index for an EXISTS
-- per segment, a third of a z14 tile's time.
claims AS (
    SELECT DISTINCT cl.segment_id FROM grids_claim cl
    WHERE cl.segment_id = ANY (ARRAY(SELECT id FROM seg))
      AND cl.valid_from <= %(end)s AND (cl.valid_to IS NULL OR cl.valid_to > %(start)s)
),
-- Rounded in float8 (half up; shares are never negative): the same doubles as
-- round(numeric)::float8 (an integer over 10^k is the double nearest the decimal), without a
-- float-to-numeric conversion per feature.
tile AS (
    SELECT {TILE_GEOM} AS geom,
           seg.id, coalesce(floor(cov.share * 1000 + 0.5) / 1000, 0) AS share,
           coalesce(cov.patrols, 0)::int AS patrols,
           claims.segment_id IS NOT NULL AS claimed
    FROM seg
    LEFT JOIN cov ON cov.segment_id = seg.id
    LEFT JOIN claims ON claims.segment_id = seg.id
)
""".replace("{TILE_GEOM}", TILE_GEOM)
# ST_AsMVT leaves out rows whose geometry clipped to NULL: a WHERE geom IS NOT NULL here made
# PostgreSQL compute ST_AsMVTGeom twice per segment (filter and output), a fifth of a z14 tile.
COVERAGE_TILE = (
    COVERAGE_TILE_ROWS + "SELECT ST_AsMVT(tile, 'coverage', 4096, 'geom', 'id') FROM tile"
)


# The planner's cost for a tile (ST_AsMVTGeom on thousands of rows) passes jit_above_cost, and
# compiling the query took ~2 s against ~30 ms to run it on a 62,000-segment district: off for
# this statement only. So are parallel workers: a tile variant planned a Gather whose worker took
# ~20 ms to start for ~1 ms of work (and 8 clients on 2 cores have no idle core to lend). Sent with
# the tile in one query string: a multi-statement query is one implicit transaction, so the local
# settings hold for the tile and end with it, in one round trip (a BEGIN, SET, SELECT, COMMIT took
# four, a third of a small tile's time on a busy server).
COVERAGE_TILE_SETUP = "SELECT set_config('jit', 'off', true), set_config('max_parallel_workers_per_gather', '0', true)"
COVERAGE_TILE_STATEMENT = COVERAGE_TILE_SETUP + ";\n" + COVERAGE_TILE

# The tile endpoint's fast path (patrols/api/tile_fast_path.py) in one statement: the session's
# user (active, and the password the session hash is checked against, in Python), the office
# the user may supervise (?office=<code>, or the first by code, as geo.access.supervised_office
# picks it) and the tile of that office. No office (not a supervisor, not active, another code):
# no segments, an empty tile, and office NULL, on which the view hands the request to the DRF
# view for its 401/403. Three round trips (user, office, tile) became one.
_SCOPE = """
WITH who AS (SELECT u.password FROM auth_user u WHERE u.id = %(uid)s AND u.is_active),
scope AS (
    SELECT o.id FROM geo_streetoffice o
    WHERE EXISTS (SELECT 1 FROM who)
      AND o.id IN (SELECT m.street_office_id FROM geo_membership m
                   WHERE m.user_id = %(uid)s AND m.role = ANY (%(roles)s::text[]))
      AND (%(code)s::text IS NULL OR o.code = %(code)s::text)
    ORDER BY o.code LIMIT 1
),"""
_SCOPED_ROWS = COVERAGE_TILE_ROWS.replace("WITH seg AS", "seg AS", 1).replace(
    "s.street_office_id = %(office)s", "s.street_office_id = (SELECT id FROM scope)", 1
)
assert "%(office)s" not in _SCOPED_ROWS
SCOPED_TILE_STATEMENT = (
    COVERAGE_TILE_SETUP
    + ";\n"
    + _SCOPE
    + _SCOPED_ROWS
    + """SELECT (SELECT password FROM who), (SELECT id FROM scope),
       (SELECT ST_AsMVT(tile, 'coverage', 4096, 'geom', 'id') FROM tile)"""
)

# The tile gate's one round trip (config/tile_gate.py): the session row in the same statement, the
# tile computed for the user id this process last verified for that session key (a hint, never
# trusted: Python checks the returned session data's signature, user and hash before answering;
# no row, no user, no tile).
SESSION_TILE_STATEMENT = (
    COVERAGE_TILE_SETUP
    + ";\nWITH sess AS (SELECT session_data FROM django_session"
    + " WHERE session_key = %(session_key)s AND expire_date > %(now)s),"
    + _SCOPE.replace("WITH who", "who", 1).replace(
        "u.is_active", "u.is_active AND EXISTS (SELECT 1 FROM sess)", 1
    )
    + _SCOPED_ROWS
    + """SELECT (SELECT session_data FROM sess), (SELECT password FROM who), (SELECT id FROM scope),
       (SELECT ST_AsMVT(tile, 'coverage', 4096, 'geom', 'id') FROM tile)"""
)


def whole_months(start: date, end: date) -> tuple[date, date]:
    """[first, after) of the calendar months lying wholly in [start, end]; first == after if none."""
    first = start if start.day == 1 else _next_month(start)
    after = _next_month(end) if _next_month(end) == end + timedelta(days=1) else end.replace(day=1)
    return (first, after) if first < after else (start, start)


def _next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def tile_params(
    office_id: int, z: int, x: int, y: int, start: date, end: date, *, by_pair: bool = False
) -> dict:
    """COVERAGE_TILE's parameters (the bench sends the same)."""
    month_from, month_to = whole_months(start, end)
    # Literal booleans the planner folds: false drops a branch before it runs. Without
    # any_months a period inside one month (the map's default, the last 7 days) still probed the
    # month roll-up once per segment for the empty range [start, start): ~2 ms of a z14 tile.
    any_days = (month_from, month_to) != (start, end + timedelta(days=1))
    any_months = month_from < month_to
    return {
        "office": office_id, "z": z, "x": x, "y": y, "start": start, "end": end,
        "by_pair": by_pair, "month_from": month_from, "month_to": month_to, "any_days": any_days,
        "any_months": any_months,
    }  # fmt: skip


def coverage_tile(
    office_id: int, z: int, x: int, y: int, start: date, end: date, *, by_pair: bool = False
) -> bytes:
    with connection.cursor() as cur:
        # Client-side binding (Django's default): the two statements go as one query string.
        cur.execute(
            COVERAGE_TILE_STATEMENT, tile_params(office_id, z, x, y, start, end, by_pair=by_pair)
        )
        cur.nextset()  # past the settings
        (tile,) = cur.fetchone()
    return bytes(tile or b"")


def scoped_tile_params(
    user_id: int,
    office_code: str | None,
    z: int,
    x: int,
    y: int,
    start: date,
    end: date,
    *,
    by_pair: bool = False,
) -> dict:
    """SCOPED_TILE_STATEMENT's parameters (the bench sends the same)."""
    return tile_params(0, z, x, y, start, end, by_pair=by_pair) | {
        "uid": user_id, "code": office_code, "roles": [str(r) for r in SUPERVISING_ROLES],
    }  # fmt: skip


def scoped_tile(params: dict) -> tuple[str | None, int | None, bytes]:
    """(the user's password hash or None, the office id or None, the tile) in one round trip."""
    with connection.cursor() as cur:
        cur.execute(SCOPED_TILE_STATEMENT, params)
        cur.nextset()  # past the settings
        password, office_id, tile = cur.fetchone()
    return password, office_id, bytes(tile or b"")


def session_tile(params: dict) -> tuple[str | None, str | None, int | None, bytes]:
    """(session data or None, password hash or None, office id or None, tile): one round trip.
    `params`: scoped_tile_params(...) | {"session_key": …, "now": …}."""
    with connection.cursor() as cur:
        cur.execute(SESSION_TILE_STATEMENT, params)
        cur.nextset()  # past the settings
        data, password, office_id, tile = cur.fetchone()
    return data, password, office_id, bytes(tile or b"")


class CoverageRow(NamedTuple):
    segment_id: int
    pair_id: int
    street_office_id: int
    day: date
    claimed: bool
    walked_m: float
    covered_share: float
    covered_bits: str
    patrol_count: int
    last_patrolled_at: datetime | None


def copy_coverage_rows(rows: list[CoverageRow]) -> int:
    """COPY a day's coverage rows in: a district-day is ~50k rows, which bulk_create's parameter
    lists make a 10-20 s job and COPY a sub-second one. The caller deletes the old rows first."""
    if not rows:
        return 0
    with (
        connection.cursor() as cur,
        cur.copy(
            "COPY grids_segmentcoverage (segment_id, pair_id, street_office_id, day, claimed, walked_m,"
            " covered_share, covered_bits, patrol_count, last_patrolled_at) FROM STDIN"
        ) as copy,
    ):
        for row in rows:
            copy.write_row(row)
    return len(rows)
