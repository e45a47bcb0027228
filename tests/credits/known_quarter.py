"""A known quarter (2026Q3, 92 days) of service facts for five stewards, with the expected grades.

steward  eligible  compliant  coverage  verified  ratings   score  grade
A        80        76 (95%)   0.90      6         5,5,4     93.6   优秀
B        60        42 (70%)   0.60      3         4,3       62.4   称职
C        50        20 (40%)   0.95      6         5         81.0   不称职 (compliance < 50%)
D        20        20         0.90      2         5         -      数据不足，不评定
E        40        30 (75%)   none      0         none      50.0   不称职 (coverage, ratings drop out)
"""

from __future__ import annotations

from datetime import date, timedelta

from credits.quarterly import RatingFact, StaticSources
from credits.rules import PatrolDayFact, ReportFact

Q3 = date(2026, 7, 1)

# name: (eligible, compliant, coverage, verified reports, ratings)
PLAN = {
    "A": (80, 76, 0.90, 6, (5, 5, 4)),
    "B": (60, 42, 0.60, 3, (4, 3)),
    "C": (50, 20, 0.95, 6, (5,)),
    "D": (20, 20, 0.90, 2, (5,)),
    "E": (40, 30, None, 0, ()),
}
EXPECTED = {
    "A": ("93.6", "excellent"),
    "B": ("62.4", "competent"),
    "C": ("81.0", "incompetent"),
    "D": (None, None),
    "E": ("50.0", "incompetent"),
}


def sources_for(ids: dict[str, int], minutes: float = 125.0) -> StaticSources:
    src = StaticSources()
    report_id = 1000
    for name, (eligible, compliant, coverage, verified, ratings) in PLAN.items():
        sid = ids[name]
        for i in range(eligible):
            src.patrol_day_facts.append(
                PatrolDayFact(sid, sid * 10, Q3 + timedelta(days=i), i < compliant, minutes)
            )
        # Outside the quarter: must be ignored.
        src.patrol_day_facts.append(PatrolDayFact(sid, sid * 10, date(2026, 6, 30), False, 5.0))
        for i in range(verified):
            report_id += 1
            src.report_facts.append(ReportFact(sid, report_id, Q3 + timedelta(days=i), None))
        for stars in ratings:
            report_id += 1
            src.rating_facts.append(RatingFact(sid, report_id, stars))
        if coverage is not None:
            src.coverage[sid] = coverage
    return src
