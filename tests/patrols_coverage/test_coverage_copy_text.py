"""Coverage rows go into COPY as text built in one join: the stored values are exactly those
psycopg's per-row `write_row` stored (real PostGIS, temporary tables of the real column types)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection

from patrols.coverage_queries import CoverageRow, coverage_copy_text

pytestmark = pytest.mark.django_db

COLUMNS = (
    "segment_id, pair_id, street_office_id, day, claimed, walked_m, covered_share,"
    " covered_bits, patrol_count, last_patrolled_at"
)


def _rows() -> list[CoverageRow]:
    when = datetime(2024, 5, 14, 0, 30, 1, 250000, tzinfo=UTC)
    return [
        CoverageRow(1, 2, 3, date(2024, 5, 14), True, 0.0, 0.0, "0000", 0, None),
        CoverageRow(9, 2, 3, date(2024, 5, 14), False, 12.345678901234567, 1 / 3, "01", 2, when),
        CoverageRow(10, 7, 3, date(2024, 12, 31), True, 1e-300, 1.0, "1", 1, when),
        CoverageRow(11, 7, 3, date(2024, 1, 1), False, 5.0, 0.9999999999999999, "1" * 300, 7, when),
    ]


def test_copy_text_stores_what_write_row_stored():
    rows = _rows()
    with connection.cursor() as cur:
        for table in ("by_row", "by_text"):
            cur.execute(
                f"CREATE TEMP TABLE {table} AS SELECT {COLUMNS} FROM grids_segmentcoverage"
                " WITH NO DATA"
            )
        with cur.copy(f"COPY by_row ({COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        with cur.copy(f"COPY by_text ({COLUMNS}) FROM STDIN") as copy:
            copy.write(coverage_copy_text(rows))
        # Doubles compared as their exact bits (float8send), timestamps to the microsecond.
        select = (
            "SELECT segment_id, pair_id, street_office_id, day, claimed, float8send(walked_m),"
            " float8send(covered_share), covered_bits::text, patrol_count, last_patrolled_at"
            " FROM {} ORDER BY segment_id"
        )
        cur.execute(select.format("by_row"))
        by_row = cur.fetchall()
        cur.execute(select.format("by_text"))
        by_text = cur.fetchall()
    assert len(by_row) == 4
    assert by_text == by_row
    assert by_text[0][-1] is None and by_text[1][-1] == rows[1].last_patrolled_at
