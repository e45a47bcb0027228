"""Storing a quarter's assessment: known grades, recomputation, confirmation, replacement tasks."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.utils import timezone

from credits.grading import StewardQuarterInputs
from credits.models import Assessment, CreditSettings, ReplacementTask
from credits.quarterly import add_one_month, assess_quarter, collect_inputs, confirm_assessment

from . import factories as f
from .known_quarter import EXPECTED, PLAN, sources_for


@pytest.fixture
def quarter(db):
    so = f.office()
    comm = f.community(so)
    stewards = {name: f.steward(comm, f"管家{name}") for name in PLAN}
    ids = {name: s.pk for name, s in stewards.items()}
    return so, comm, stewards, ids


def test_collect_inputs_counts_days_reports_and_ratings_of_the_quarter_only(quarter):
    so, comm, _stewards, ids = quarter
    got = {i.steward_id: i for i in collect_inputs(so, "2026Q3", sources_for(ids))}
    a = got[ids["A"]]
    assert a == StewardQuarterInputs(
        steward_id=ids["A"],
        community_id=comm.pk,
        eligible_days=80,
        compliant_days=76,
        patrol_minutes=80 * 125.0,
        claimed_coverage_share=0.9,
        verified_reports=6,
        resolved_cases=0,
        ratings=(5, 5, 4),
    )
    assert got[ids["E"]].claimed_coverage_share is None and got[ids["E"]].ratings == ()


def test_a_known_quarter_gives_the_expected_grades(quarter):
    so, _comm, _stewards, ids = quarter
    run = assess_quarter(so, "2026Q3", sources_for(ids))
    assert (run.created, run.graded, run.ungraded) == (5, 4, 1)
    rows = {a.steward_id: a for a in Assessment.objects.filter(quarter="2026Q3")}
    for name, (score, grade) in EXPECTED.items():
        row = rows[ids[name]]
        assert (None if row.score is None else str(row.score), row.grade) == (score, grade), name
    d = rows[ids["D"]]
    assert "数据不足，不评定" in d.reasons[0]["text"]
    assert rows[ids["A"]].inputs["eligible_days"] == 80
    assert rows[ids["A"]].formula_version.startswith("v1-")


def test_recomputing_a_quarter_twice_gives_the_same_result(quarter):
    so, _comm, _stewards, ids = quarter

    def snapshot():
        return sorted(
            Assessment.objects.filter(quarter="2026Q3").values_list(
                "steward_id", "score", "grade", "reasons", "inputs", "formula_version"
            )
        )

    assess_quarter(so, "2026Q3", sources_for(ids))
    first = snapshot()
    # Same facts, given in the opposite order: the stored result must not depend on it.
    src = sources_for(ids)
    src.patrol_day_facts.reverse()
    src.rating_facts.reverse()
    run = assess_quarter(so, "2026Q3", src)
    assert (run.created, run.updated, run.unchanged) == (0, 0, 5)
    assert snapshot() == first
    assert Assessment.objects.count() == 5


def test_recomputation_replaces_unconfirmed_rows_but_never_confirmed_grades(quarter):
    so, _comm, _stewards, ids = quarter
    planner = f.staff(so, "planner")
    assess_quarter(so, "2026Q3", sources_for(ids))
    a = Assessment.objects.get(steward_id=ids["A"])
    confirm_assessment(a, planner)
    # New weights turn everyone's satisfaction into nothing: unconfirmed rows change, A does not.
    CreditSettings.objects.create(street_office=so, assessment_params={"weight_satisfaction": 0})
    run = assess_quarter(so, "2026Q3", sources_for(ids))
    assert run.confirmed_kept == 1 and run.updated >= 1
    a.refresh_from_db()
    assert str(a.score) == "93.6" and a.grade == "excellent"
    b = Assessment.objects.get(steward_id=ids["B"])
    # (30*0.7 + 20*0.6 + 15*0.5) / 65 = 62.3
    assert str(b.score) == "62.3"


def test_confirming_an_incompetent_grade_opens_a_replacement_task_due_in_one_month(quarter):
    so, comm, _stewards, ids = quarter
    planner = f.staff(so, "planner")
    assess_quarter(so, "2026Q3", sources_for(ids))
    c = Assessment.objects.get(steward_id=ids["C"])
    with time_machine.travel(
        timezone.make_aware(timezone.datetime(2026, 10, 31, 9, 0)), tick=False
    ):
        task = confirm_assessment(c, planner)
    assert task is not None and task.community_id == comm.pk and task.steward_id == ids["C"]
    assert task.due == date(2026, 11, 30)
    assert confirm_assessment(c, planner) is None  # second confirmation is a no-op
    assert ReplacementTask.objects.count() == 1
    assert confirm_assessment(Assessment.objects.get(steward_id=ids["A"]), planner) is None
    with pytest.raises(ValueError, match="数据不足"):
        confirm_assessment(Assessment.objects.get(steward_id=ids["D"]), planner)


def test_one_month_later_clamps_to_the_end_of_the_month():
    assert add_one_month(date(2026, 1, 31)) == date(2026, 2, 28)
    assert add_one_month(date(2026, 12, 15)) == date(2027, 1, 15)
