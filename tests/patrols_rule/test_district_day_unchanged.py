"""The district-day's faster compute (issue 18) gives the verdicts and coverage rows it gave before.

30 pairs of the compliance bench's generated office (the Wudaokou network, 2 h 10 min walks,
one pair in ten apart, one pair's partner carrying a copy of the other's track) run through
`patrols.evaluation._assess`, the per-pair step of `evaluate_street_office` and the upload
re-check. The digest covers every verdict (numbers, reasons) and every coverage row (bits,
metres, shares, passes, last time) and was computed with the code before the change (commit
d946a79); any difference in any bit changes it. It depends on the pinned numpy/shapely/pyproj.
"""

from __future__ import annotations

import hashlib
import json
from types import SimpleNamespace

BEFORE = "c39a3a0d895e776fbdcd2541bc040808cac6d7c82076d81b4e84fd5227376eda"


def test_bench_office_verdicts_and_coverage_rows_are_bit_for_bit_those_of_before():
    from bench.compliance import DAY, PARAMS, build
    from patrols.evaluation import _assess

    ids, lines, proj, segs, groups, members, tracks = build(30)
    tracks[members[4][1]] = tracks[members[4][0]]
    digest = hashlib.sha256()
    compliant, rows, codes = 0, 0, set()
    for p in range(len(groups)):
        pair = SimpleNamespace(id=p + 1, street_office_id=1)
        r = _assess(pair, DAY, members[p], list(groups[p]), tracks, segs, proj, PARAMS, {}, {})
        digest.update(json.dumps(r.verdict.as_dict(), sort_keys=True, default=str).encode())
        digest.update(repr(r.coverage_rows).encode())
        compliant += r.verdict.compliant
        rows += len(r.coverage_rows)
        codes.update(r.verdict.failed_codes)
    # What the office holds, so that the digest covers more than one kind of day.
    assert 20 <= compliant < 30
    assert rows > 300
    assert {"not_together", "evidence_not_independent"} <= codes
    assert digest.hexdigest() == BEFORE
