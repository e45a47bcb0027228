"""The figures beside the coverage map: how much of what is claimed was walked over a period.

A claimed segment counts once (whoever claimed it in the period); its walked share is the union
of the pieces its claiming pairs walked (bit_or over days), as in the coverage roll-up."""

from __future__ import annotations

from datetime import date

from django.db import connection

FIGURES_SQL = """
WITH claimed AS (
    SELECT DISTINCT cl.segment_id
    FROM grids_claim cl
    WHERE cl.street_office_id = %(office)s AND cl.valid_from <= %(end)s
      AND (cl.valid_to IS NULL OR cl.valid_to > %(start)s)
),
by_version AS (
    SELECT c.segment_id,
           bit_count(bit_or(c.covered_bits))::float8 / length(bit_or(c.covered_bits)) AS share
    FROM grids_segmentcoverage c
    WHERE c.street_office_id = %(office)s AND c.day BETWEEN %(start)s AND %(end)s AND c.claimed
    GROUP BY c.segment_id, length(c.covered_bits)
),
walked AS (SELECT segment_id, max(share) AS share FROM by_version GROUP BY segment_id)
SELECT count(*),
       count(*) FILTER (WHERE w.share > 0),
       count(*) FILTER (WHERE w.share >= 0.5),
       coalesce(sum(s.length_m), 0),
       coalesce(sum(s.length_m * coalesce(w.share, 0)), 0)
FROM claimed c
JOIN geo_segment s ON s.id = c.segment_id
LEFT JOIN walked w ON w.segment_id = c.segment_id
"""


def coverage_figures(office_id: int, start: date, end: date) -> dict:
    """Claimed segments, those walked at all and over half, claimed and walked km, the share."""
    with connection.cursor() as cur:
        cur.execute(FIGURES_SQL, {"office": office_id, "start": start, "end": end})
        n, touched, half, claimed_m, walked_m = cur.fetchone()
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "segments_claimed": n,
        "segments_walked": touched,
        "segments_half_walked": half,
        "claimed_km": round(claimed_m / 1000, 2),
        "walked_km": round(walked_m / 1000, 2),
        "share_pct": round(100 * walked_m / claimed_m, 1) if claimed_m else 0.0,
    }
