"""KPI arithmetic on a known set of ten reports in two communities."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from hazards.kpis import kpis
from hazards.models import HazardReport

from .factories import make_office, pt

pytestmark = pytest.mark.django_db
S = HazardReport.Status


def test_kpi_arithmetic_on_a_known_set():
    office = make_office()
    cat = office.hazard_categories.get(code="clutter")  # response 24 h
    t0 = timezone.now() - timedelta(days=10)
    h = timedelta(hours=1)
    A, B = office.communities.order_by("code")
    # (community, status, responded after, accepted?, resolved?, closed after (deadline 72 h), rating)
    spec = [
        (A, S.CLOSED, 2 * h, True, True, 50 * h, 5),  # on time
        (A, S.CLOSED, 2 * h, True, True, 80 * h, 3),  # late
        (A, S.VERIFIED, 30 * h, True, True, None, None),  # late response
        (A, S.IN_PROGRESS, 1 * h, True, False, None, None),
        (A, S.REJECTED, 1 * h, False, False, None, None),
        (A, S.REPORTED, None, False, False, None, None),
        (A, S.DUPLICATE, 1 * h, False, False, None, None),  # excluded everywhere
        (B, S.CLOSED, 1 * h, True, True, 10 * h, 4),
        (B, S.RESOLVED, 1 * h, True, True, None, None),
        (B, S.DISPATCHED, 1 * h, True, False, None, None),
    ]
    objs = []
    for comm, status, resp, acc, res, closed, rating in spec:
        objs.append(
            HazardReport(
                street_office=office,
                community=comm,
                category=cat,
                location=pt(116.305, 40.005),
                reporter_kind="anonymous",
                status=status,
                created_at=t0,
                responded_at=t0 + resp if resp else None,
                accepted_at=t0 + resp if acc else None,
                deadline_at=t0 + resp + 72 * h if acc else None,
                resolved_at=t0 + 40 * h if res else None,
                closed_at=t0 + closed if closed else None,
                rating=rating,
            )
        )
    HazardReport.objects.bulk_create(objs)
    qs = HazardReport.objects.filter(street_office=office)
    [total] = kpis(qs)
    assert total["received"] == 9 and total["accepted"] == 7
    assert total["rectified"] == 4  # 3 closed + 1 verified
    assert total["rectification_rate"] == round(4 / 7, 4)
    # deadline = accepted (t0+2h) + 72h = 74h: 50h on time, 80h late; B: 1h+72h vs 10h on time.
    assert total["closed"] == 3 and total["on_time_closure_rate"] == round(2 / 3, 4)
    # responded within 24 h: all but the 30 h one and the unanswered report: 7 of 9.
    assert total["response_rate"] == round(7 / 9, 4)
    assert total["resolution_rate"] == round(5 / 7, 4)
    assert total["satisfaction_rate"] == round(2 / 3, 4) and total["mean_rating"] == 4.0
    by_comm = {r["name"]: r for r in kpis(qs, level="community")}
    assert by_comm["社区A"]["rectification_rate"] == 0.75  # 3 of 4 accepted
    assert by_comm["社区B"]["rectification_rate"] == round(1 / 3, 4)
    # The period filter: nothing was created in the last day.
    assert kpis(qs, start=timezone.now() - timedelta(days=1)) == []
