"""Scoring and grading: pure functions on known inputs."""

from datetime import date
from decimal import Decimal

import pytest

from credits.grading import (
    AssessmentParams,
    StewardQuarterInputs,
    quarter_bounds,
    quarter_of,
    score_inputs,
    top_scorers,
)


def inputs(**kw) -> StewardQuarterInputs:
    base = dict(
        steward_id=1,
        community_id=1,
        eligible_days=80,
        compliant_days=76,
        patrol_minutes=9000.0,
        claimed_coverage_share=0.9,
        verified_reports=6,
        resolved_cases=2,
        ratings=(5, 5, 4),
    )
    base.update(kw)
    return StewardQuarterInputs(**base)


def test_known_inputs_give_the_documented_score_and_reasons():
    r = score_inputs(inputs(), AssessmentParams())
    # 30*0.95 + 20*0.9 + 15*1 + 35*(14/3-1)/4 = 93.583...
    assert r.score == Decimal("93.6") and r.grade == "excellent"
    codes = [x["code"] for x in r.reasons]
    assert codes == ["compliance", "coverage", "reports", "satisfaction", "grade"]
    assert "巡查达标率 95.0%（权重 30）" in r.reasons[0]["text"]
    assert "优秀" in r.reasons[-1]["text"]


def test_too_little_data_gives_no_grade():
    r = score_inputs(inputs(eligible_days=29, compliant_days=29), AssessmentParams())
    assert r.score is None and r.grade is None
    assert (
        r.reasons[0]["code"] == "insufficient_data" and "数据不足，不评定" in r.reasons[0]["text"]
    )
    # The minimum is configurable.
    assert score_inputs(
        inputs(eligible_days=29, compliant_days=29), AssessmentParams(min_eligible_days=20)
    ).grade


def test_thresholds_are_inclusive():
    only_compliance = AssessmentParams(weight_coverage=0, weight_reports=0, weight_satisfaction=0)
    assert (
        score_inputs(inputs(eligible_days=40, compliant_days=34), only_compliance).grade
        == "excellent"
    )
    assert (
        score_inputs(inputs(eligible_days=40, compliant_days=33), only_compliance).grade
        == "competent"
    )
    assert (
        score_inputs(inputs(eligible_days=40, compliant_days=24), only_compliance).grade
        == "competent"
    )
    assert (
        score_inputs(inputs(eligible_days=40, compliant_days=23), only_compliance).grade
        == "incompetent"
    )


def test_missing_parts_drop_out_and_say_so():
    r = score_inputs(inputs(claimed_coverage_share=None, ratings=()), AssessmentParams())
    # (30*0.95 + 15*1) / 45 = 96.67
    assert r.score == Decimal("96.7")
    assert {"coverage_missing", "satisfaction_missing"} <= {x["code"] for x in r.reasons}


def test_low_compliance_is_incompetent_whatever_the_score():
    r = score_inputs(inputs(compliant_days=39), AssessmentParams())
    assert r.score >= 60 and r.grade == "incompetent"
    assert any(x["code"] == "low_compliance" for x in r.reasons)


def test_params_are_validated():
    with pytest.raises(ValueError, match="未知的考核参数"):
        AssessmentParams.from_config({"weight_stars": 3})
    with pytest.raises(ValueError):
        AssessmentParams.from_config({"excellent_min": 50, "competent_min": 60})
    p = AssessmentParams.from_config({"weight_satisfaction": 50, "min_compliance_rate": "0.4"})
    assert p.weight_satisfaction == 50 and p.min_compliance_rate == 0.4
    assert p.formula_version != AssessmentParams().formula_version


def test_quarters():
    assert quarter_bounds("2026Q3") == (date(2026, 7, 1), date(2026, 10, 1))
    assert quarter_bounds("2026q4") == (date(2026, 10, 1), date(2027, 1, 1))
    assert quarter_of(date(2026, 9, 30)) == "2026Q3"
    with pytest.raises(ValueError, match="2026Q3"):
        quarter_bounds("2026-3")


def test_gold_stewards_are_the_top_scorers_including_ties():
    assert top_scorers({1: Decimal("90"), 2: Decimal("90"), 3: Decimal("80"), 4: None}) == {1, 2}
    assert top_scorers({4: None}) == set()
