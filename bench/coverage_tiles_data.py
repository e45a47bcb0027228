"""A district's street network, claims and a month of coverage, generated in SQL in a bench schema.

Used by bench/coverage_tiles.py. The four tables are copies of the real ones (columns, defaults,
identity, checks; the real indexes are recreated after loading, foreign keys left out), so the tile
query plans as it would on the real tables. The coverage copy carries the migration's own roll-up
triggers, so the month roll-up is filled the way the application fills it: by the coverage INSERT.
"""

from __future__ import annotations

import importlib
import math
import time
from datetime import date, timedelta

TABLES = ("geo_segment", "grids_claim", "grids_segmentcoverage", "patrols_segmentcoveragemonth")
ROLLUP = importlib.import_module("patrols.migrations.0011_coverage_month_rollup")
BLOCK = 4  # a pair claims the segments of a BLOCK × BLOCK patch of the network (~32 segments)

# A deterministic pseudo-random number in [0, 1) from integers (hashint8 is PostgreSQL's own).
_H = "((hashint8(({a})::bigint * 100003 + ({b})::bigint * 7919 + {k}) & 2147483647) % 100000 / 100000.0)"


def _h(a: str, b: str, k: int) -> str:
    return _H.format(a=a, b=b, k=k)


def _segments_sql(s: str, office: int, side: int, x0: float, y0: float) -> str:
    dx = 60 / 111_320 / math.cos(math.radians(y0))
    dy = 60 / 110_574
    per_row = math.ceil(side / BLOCK)
    node = f"""
        SELECT i, j, {x0} + (i + 0.3 * ({_h("i", "j", 1)} - 0.5)) * {dx} AS x,
                     {y0} + (j + 0.3 * ({_h("i", "j", 2)} - 0.5)) * {dy} AS y
        FROM generate_series(0, {side - 1}) i, generate_series(0, {side - 1}) j"""
    edge = """
        SELECT a.i, a.j, {d} AS d, a.x AS ax, a.y AS ay, b.x AS bx, b.y AS by
        FROM p a JOIN p b ON b.i = a.i + {di} AND b.j = a.j + {dj}"""
    return f"""
    WITH p AS MATERIALIZED ({node}),
    e AS ({edge.format(d=0, di=1, dj=0)} UNION ALL {edge.format(d=1, di=0, dj=1)})
    INSERT INTO {s}.geo_segment (name, road_class, source, source_id, geom, length_m, updated_at,
                                 street_office_id, valid_from)
    SELECT '胡同 ' || i || '-' || j, CASE WHEN i % 10 = 0 OR j % 10 = 0 THEN 'tertiary'
                                          ELSE 'footway' END,
           'bench', ((i / {BLOCK}) * {per_row} + j / {BLOCK} + 1) || '/' || i || '-' || j || '-' || d,
           g, ST_Length(g::geography), now(), {office}, DATE '2000-01-01'
    FROM e CROSS JOIN LATERAL (
        SELECT ST_SetSRID(ST_MakeLine(ARRAY[
            ST_MakePoint(ax, ay),
            ST_MakePoint((ax + bx) / 2 + ({_h("i", "j", 3 + 0)} - 0.5) * {dx * 0.15},
                         (ay + by) / 2 + ({_h("i", "j", 5)} - 0.5) * {dy * 0.15}),
            ST_MakePoint(bx, by)]), 4326) AS g
    ) l
    """


def _coverage_sql(s: str, office: int, start: date, days: int) -> str:
    end = start + timedelta(days=days - 1)
    bits = "(floor(random() * 4096))::int::bit(12)::varbit"
    return f"""
    INSERT INTO {s}.grids_segmentcoverage (day, claimed, walked_m, covered_share, covered_bits,
        patrol_count, last_patrolled_at, pair_id, segment_id, street_office_id)
    SELECT day, claimed, CASE WHEN walked THEN length_m * bit_count(b) / 12.0 ELSE 0 END,
           CASE WHEN walked THEN bit_count(b) / 12.0 ELSE 0 END, b,
           CASE WHEN walked THEN 1 + (random() < 0.3)::int ELSE 0 END,
           CASE WHEN walked THEN day + time '09:30' END, pair_id, id, {office}
    FROM (
        SELECT d::date AS day, g.id, g.length_m, split_part(g.source_id, '/', 1)::bigint AS pair_id,
               c.id IS NOT NULL AS claimed,
               CASE WHEN c.id IS NOT NULL THEN random() < 0.7 ELSE true END AS walked,
               random() AS r, {bits} AS b0
        FROM {s}.geo_segment g
        LEFT JOIN {s}.grids_claim c ON c.segment_id = g.id
        CROSS JOIN generate_series(date '{start}', date '{end}', interval '1 day') d
        -- the pair patrols on 85 % of days; unclaimed segments are walked on 30 % of days
        WHERE {_h("split_part(g.source_id, '/', 1)::int", "(d::date - date '2000-01-01')", 9)} < 0.85
    ) x
    CROSS JOIN LATERAL (SELECT CASE WHEN walked THEN b0 ELSE B'000000000000'::varbit END AS b) bb
    WHERE claimed OR r < 0.3
    """


def _copy_indexes(cur, s: str, tables: list[str]) -> None:
    cur.execute(
        "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public' "
        "AND tablename = ANY(%s)",
        [tables],
    )
    for table, indexdef in cur.fetchall():
        cur.execute(indexdef.replace(f" ON public.{table} ", f" ON {s}.{table} "))


def build_district(
    cur, schema: str, office: int, side: int, start: date, days: int, x0: float, y0: float
) -> dict:
    """Create `schema` with the four coverage tables filled; returns row counts and the time of
    the coverage INSERT (its roll-up triggers included)."""
    s = schema
    cur.execute(f"CREATE SCHEMA {s}")
    for t in TABLES:
        cur.execute(
            f"CREATE TABLE {s}.{t} (LIKE public.{t} INCLUDING DEFAULTS INCLUDING IDENTITY "
            "INCLUDING CONSTRAINTS)"
        )
    cur.execute(_segments_sql(s, office, side, x0, y0))
    cur.execute(
        f"""INSERT INTO {s}.grids_claim (valid_from, valid_to, created_at, pair_id, segment_id,
                                         street_office_id)
            SELECT date '{start}' - 60, NULL, now(), split_part(source_id, '/', 1)::bigint, id,
                   {office}
            FROM {s}.geo_segment WHERE {_h("id", "0", 11)} < 0.9"""
    )
    _copy_indexes(cur, s, [TABLES[3]])  # the roll-up's upsert needs its unique index
    # The triggers' functions resolve table names on the search path: the bench copies here.
    cur.execute(f"SET search_path = {s}, public")
    try:
        cur.execute(ROLLUP.FUNCTIONS + ROLLUP.TRIGGERS)
        t = time.perf_counter()
        cur.execute(_coverage_sql(s, office, start, days))
        insert_s = time.perf_counter() - t
    finally:
        cur.execute("RESET search_path")
    _copy_indexes(cur, s, list(TABLES[:3]))
    counts = {"insert_s": insert_s}
    for t, key in zip(TABLES, ("segments", "claims", "coverage", "months"), strict=True):
        # What autovacuum does with a month of new rows within a minute (statistics, and pages
        # marked all-visible for index-only scans), now rather than whenever it wakes: a month
        # written at once is otherwise read in whatever state the timing happens to leave it.
        cur.execute(f"VACUUM (ANALYZE) {s}.{t}")
        cur.execute(f"SELECT count(*) FROM {s}.{t}")
        counts[key] = cur.fetchone()[0]
    return counts
