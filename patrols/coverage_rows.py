"""The coverage rows (grids_segmentcoverage) of one assessed pair-day, ready for COPY."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np

from patrols import coverage_queries as grid_queries
from patrols.pair_day import SegmentSet
from patrols.walked_coverage import SegmentCoverageResult
from stewards.models import Pair


def coverage_rows(
    pair: Pair,
    day: date,
    segs: SegmentSet,
    cov: SegmentCoverageResult,
    is_claimed: np.ndarray,
    covered: np.ndarray,
) -> list[grid_queries.CoverageRow]:
    """A row per segment the pair claims or walked: the bits of all of them built in one array
    (a '0'/'1' per piece) and cut into strings, the numbers converted to Python in bulk."""
    written = np.flatnonzero(is_claimed | (cov.walked_m > 0))
    if len(written) == 0:
        return []
    share = cov.restrict(written).share  # only the rows written, not the district
    first, end = segs.piece_start[written], segs.piece_start[written + 1]
    width = end - first
    at = np.cumsum(width) - width  # where each row's bits start in `bits`
    bits = np.full(int(width.sum()), ord("0"), dtype=np.uint8)
    # The written row holding each covered piece (a zero-length segment's piece has none).
    row = np.minimum(np.searchsorted(end, covered, side="right"), len(written) - 1)
    mine = (first[row] <= covered) & (covered < end[row])
    bits[at[row[mine]] + covered[mine] - first[row[mine]]] = ord("1")
    text = bits.tobytes().decode("ascii")
    last = cov.last_time[written]
    return [
        grid_queries.CoverageRow(
            seg,
            pair.id,
            pair.street_office_id,
            day,
            claimed,
            walked_m,
            sh,
            text[a : a + w],
            patrols,
            None if t != t else datetime.fromtimestamp(t, UTC),  # NaN: never walked
        )
        for seg, claimed, walked_m, sh, a, w, patrols, t in zip(
            segs.ids[written].tolist(),
            is_claimed[written].tolist(),
            cov.walked_m[written].astype(float).tolist(),
            share.astype(float).tolist(),
            at.tolist(),
            width.tolist(),
            cov.patrols[written].tolist(),
            last.tolist(),
            strict=True,
        )
    ]
