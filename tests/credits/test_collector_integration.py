"""collect_inputs through DatabaseSources on the real models of the patrol rule (#5) and hazard
reports (#6). Those modules are merged by the lead; until then this module skips, saying so.
After the merge it runs unchanged (it uses only the fields listed in credits/quarterly.py)."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.apps import apps
from django.utils import timezone

from credits.quarterly import DatabaseSources, collect_inputs

from . import factories as f


def _model_or_skip(label: str):
    try:
        return apps.get_model(label)
    except LookupError:
        pytest.skip(f"{label} is not in this branch yet (issue #5/#6, wired at merge)")


def at(d: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(d.year, d.month, d.day, hour))


def test_collector_reads_verdicts_memberships_and_steward_reports(db):
    verdict = _model_or_skip("patrols.PairDayVerdict")
    report = _model_or_skip("hazards.HazardReport")
    category = _model_or_skip("hazards.HazardCategory")
    so = f.office()
    comm = f.community(so)
    a = f.steward(comm, "张大爷", username="zhang")
    b = f.steward(comm, "李阿姨", username="li")
    p = f.pair(comm, a, b)
    b_membership = p.members.get(steward=b)
    b_membership.left_on = date(2026, 7, 3)  # B leaves after two days of the quarter
    b_membership.save()
    for i, ok in enumerate([True, True, False, True]):
        verdict.objects.create(
            pair=p,
            street_office=so,
            community=comm,
            day=date(2026, 7, 1 + i),
            compliant=ok,
            minutes_qualifying=125.0,
            minutes_together=130.0,
            minutes_together_inside=126.0,
            minutes_inside_min_member=126.0,
            walked_share=0.5,
            params_digest="x",
            computed_at=timezone.now(),
        )
    cat = category.objects.create(
        street_office=so, code="clutter", name="杂物乱堆", speed="timed", deadline_hours=72
    )
    common = {
        "street_office": so,
        "community": comm,
        "category": cat,
        "reporter_kind": "steward",
        "reporter": a.user,
    }
    report.objects.create(
        **common,
        status="resolved",
        created_at=at(date(2026, 7, 1)),
        accepted_at=at(date(2026, 7, 1)),
        resolved_at=at(date(2026, 7, 5)),
        rating=4,
    )
    report.objects.create(
        **common,
        status="accepted",
        created_at=at(date(2026, 6, 29)),
        accepted_at=at(date(2026, 6, 30)),
    )
    got = {i.steward_id: i for i in collect_inputs(so, "2026Q3", DatabaseSources())}
    assert (got[a.pk].eligible_days, got[a.pk].compliant_days) == (4, 3)
    assert (got[b.pk].eligible_days, got[b.pk].compliant_days) == (2, 2)
    assert got[a.pk].patrol_minutes == 500.0
    assert (got[a.pk].verified_reports, got[a.pk].resolved_cases, got[a.pk].ratings) == (1, 1, (4,))
    assert got[b.pk].verified_reports == 0
