"""Raw SQL for the points ledger and the assessment inputs, each with the reason the ORM wasn't enough."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db import connection

from credits.rules import AwardLine


def book_award_lines(
    lines: Sequence[AwardLine], street_office_id: int, created_by_id: int | None
) -> tuple[int, int]:
    """Insert the lines not booked yet and add exactly those to the balances, in one statement.

    Why raw SQL: ``bulk_create(ignore_conflicts=True)`` does not say which rows were inserted, and
    the balance must grow by exactly the inserted amounts even when two award runs overlap;
    ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` feeding an upsert of the balance does that
    atomically. Returns (entries inserted, points added). Earned amounts are positive, so the
    balance CHECK cannot trip here.
    """
    if not lines:
        return 0, 0
    sql = """
        WITH ins AS (
            INSERT INTO patrols_pointsentry
                (steward_id, street_office_id, amount, kind, reference, note, created_by_id, created_at)
            SELECT s, %s, a, k, r, n, %s, now()
            FROM unnest(%s::bigint[], %s::int[], %s::text[], %s::text[], %s::text[]) AS t(s, a, k, r, n)
            ON CONFLICT (steward_id, kind, reference) DO NOTHING
            RETURNING steward_id, amount
        ), sums AS (
            SELECT steward_id, sum(amount)::int AS total, count(*) AS n FROM ins GROUP BY steward_id
        ), up AS (
            INSERT INTO patrols_pointsbalance (steward_id, balance, updated_at)
            SELECT steward_id, total, now() FROM sums
            ON CONFLICT (steward_id)
            DO UPDATE SET balance = patrols_pointsbalance.balance + EXCLUDED.balance,
                          updated_at = EXCLUDED.updated_at
            RETURNING steward_id
        )
        SELECT coalesce(sum(n), 0)::int, coalesce(sum(total), 0)::int FROM sums
    """
    params = [
        street_office_id,
        created_by_id,
        [x.steward_id for x in lines],
        [x.amount for x in lines],
        [x.kind for x in lines],
        [x.reference for x in lines],
        [x.note for x in lines],
    ]
    with connection.cursor() as cur:
        cur.execute(sql, params)
        inserted, points = cur.fetchone()
    return int(inserted), int(points)


def claimed_coverage_by_steward(street_office_id: int, start: date, end: date) -> dict[int, float]:
    """Share of the length of the alleys each steward's pair claimed that was walked at least once
    in [start, end), from the patrol rule's per-day coverage bits (grids.SegmentCoverage).

    Why raw SQL: the quarter's coverage of a segment is ``bit_or`` of its daily bit strings (one bit
    per piece), which the ORM has no aggregate for, and it must be set-based over a whole office.
    A steward's share is length-weighted over every (pair, segment) their pairs claimed while they
    were members.
    """
    sql = """
        WITH seg AS (
            SELECT c.pair_id, c.segment_id,
                   bit_or(c.covered_bits) AS bits
            FROM grids_segmentcoverage c
            WHERE c.street_office_id = %s AND c.claimed AND c.day >= %s AND c.day < %s
            GROUP BY c.pair_id, c.segment_id
        ), share AS (
            SELECT seg.pair_id, s.length_m,
                   CASE WHEN length(seg.bits) = 0 THEN 0
                        ELSE bit_count(seg.bits)::float8 / length(seg.bits) END AS walked
            FROM seg JOIN geo_segment s ON s.id = seg.segment_id
        ), member AS (
            SELECT DISTINCT m.steward_id, m.pair_id
            FROM patrols_pairmember m
            WHERE m.joined_on < %s AND (m.left_on IS NULL OR m.left_on > %s)
        )
        SELECT member.steward_id,
               sum(share.length_m * share.walked) / nullif(sum(share.length_m), 0)
        FROM share JOIN member USING (pair_id)
        GROUP BY member.steward_id
    """
    with connection.cursor() as cur:
        cur.execute(sql, [street_office_id, start, end, end, start])
        return {sid: float(v) for sid, v in cur.fetchall() if v is not None}
