"""The coverage tile's features computed two ways: as the endpoint does (month roll-up + the
pair-day rows of partial months) and directly from the pair-day coverage rows, the way the tile
was computed before the roll-up. Tests assert the two agree, and that the roll-up table holds
exactly the month aggregates of the coverage rows."""

from __future__ import annotations

import math
from datetime import date

from django.db import connection

from patrols.coverage_queries import COVERAGE_TILE_ROWS, tile_params

FROM_ROLLUP = COVERAGE_TILE_ROWS + (
    "SELECT id, share, patrols, claimed FROM tile WHERE geom IS NOT NULL ORDER BY 1, 2, 3"
)

# Straight from grids_segmentcoverage: every pair-day row of the period, no roll-up.
DIRECT = """
WITH seg AS (
    SELECT s.id, s.geom FROM geo_segment s
    WHERE s.street_office_id = %(office)s
      AND s.valid_from <= %(end)s AND (s.retired_on IS NULL OR s.retired_on > %(start)s)
      AND s.geom && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 0.02), 4326)
),
cov AS (
    SELECT c.segment_id,
           bit_count(bit_or(c.covered_bits))::float8 / length(bit_or(c.covered_bits)) AS share,
           sum(c.patrol_count) AS patrols
    FROM grids_segmentcoverage c JOIN seg ON seg.id = c.segment_id
    WHERE c.day BETWEEN %(start)s AND %(end)s AND (NOT %(by_pair)s OR c.claimed)
      AND c.walked_m > 0
    GROUP BY c.segment_id, length(c.covered_bits)
)
SELECT seg.id, round(coalesce(cov.share, 0)::numeric, 3)::float8,
       coalesce(cov.patrols, 0)::int,
       EXISTS (SELECT 1 FROM grids_claim cl WHERE cl.segment_id = seg.id
               AND cl.valid_from <= %(end)s AND (cl.valid_to IS NULL OR cl.valid_to > %(start)s))
FROM seg LEFT JOIN cov ON cov.segment_id = seg.id
WHERE ST_AsMVTGeom(ST_Transform(seg.geom, 3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4096, 64,
                   true) IS NOT NULL
ORDER BY 1, 2, 3
"""

MONTHS_DIRECT = """
SELECT segment_id, date_trunc('month', day::timestamp)::date, claimed, length(covered_bits),
       bit_or(covered_bits)::text, sum(patrol_count)::int, max(last_patrolled_at)
FROM grids_segmentcoverage WHERE walked_m > 0 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
"""
MONTHS_KEPT = """
SELECT segment_id, month, claimed, n_bits, covered_bits::text, patrol_count, last_patrolled_at
FROM patrols_segmentcoveragemonth ORDER BY 1, 2, 3, 4
"""


def tiles_over(bbox: tuple[float, float, float, float], z: int) -> list[tuple[int, int, int]]:
    """Every tile of zoom z touching bbox (lon/lat)."""
    n = 2**z

    def tx(lon: float) -> int:
        return int((lon + 180) / 360 * n)

    def ty(lat: float) -> int:
        return int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)

    return [
        (z, x, y)
        for x in range(tx(bbox[0]), tx(bbox[2]) + 1)
        for y in range(ty(bbox[3]), ty(bbox[1]) + 1)
    ]


def _rows(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def assert_tiles_match(
    office_id: int, tiles: list[tuple[int, int, int]], periods: list[tuple[date, date]]
) -> int:
    """Roll-up tile rows == direct rows for every tile, period and both colourings; the roll-up
    table == the month aggregates of the coverage rows. Returns the walked features compared."""
    assert _rows(MONTHS_KEPT, {}) == _rows(MONTHS_DIRECT, {})
    walked = 0
    for start, end in periods:
        for by_pair in (False, True):
            for z, x, y in tiles:
                params = tile_params(office_id, z, x, y, start, end, by_pair=by_pair)
                got = _rows(FROM_ROLLUP, params)
                assert got == _rows(DIRECT, params), (start, end, by_pair, (z, x, y))
                walked += sum(1 for r in got if r[2] > 0)
    return walked
