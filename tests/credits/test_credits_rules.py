"""Points rules: pure arithmetic on known facts."""

from datetime import date

import pytest

from credits.rules import (
    KIND_CASE,
    KIND_MINUTES,
    KIND_PATROL_DAY,
    KIND_REPORT,
    PatrolDayFact,
    PointsRules,
    ReportFact,
    award_lines,
    minute_points,
)


def test_minute_points_are_full_blocks_capped_per_day():
    rules = PointsRules()
    assert minute_points(0, rules) == 0
    assert minute_points(29.9, rules) == 0
    assert minute_points(30, rules) == 1
    assert minute_points(125, rules) == 4
    assert minute_points(600, rules) == 8  # capped at 4 hours' worth


def test_award_lines_for_a_known_set_of_facts():
    rules = PointsRules()
    facts = [
        PatrolDayFact(1, 7, date(2026, 7, 1), True, 130.0),  # 10 + 4
        PatrolDayFact(1, 7, date(2026, 7, 2), False, 45.0),  # 0 + 1
        PatrolDayFact(1, 7, date(2026, 7, 3), False, 10.0),  # nothing
    ]
    reports = [
        ReportFact(1, 55, date(2026, 7, 4), date(2026, 7, 9)),
        ReportFact(1, 56, date(2026, 7, 5), None),
    ]
    lines = award_lines(facts, reports, rules)
    assert sum(x.amount for x in lines) == 10 + 4 + 1 + 5 + 10 + 5
    kinds = sorted((x.kind, x.reference, x.amount) for x in lines)
    assert kinds == sorted(
        [
            (KIND_PATROL_DAY, "pairday:7:2026-07-01", 10),
            (KIND_MINUTES, "pairday:7:2026-07-01", 4),
            (KIND_MINUTES, "pairday:7:2026-07-02", 1),
            (KIND_REPORT, "report:55", 5),
            (KIND_CASE, "report:55", 10),
            (KIND_REPORT, "report:56", 5),
        ]
    )
    assert all(x.amount > 0 for x in lines)


def test_office_rules_override_defaults_and_reject_unknown_keys():
    rules = PointsRules.from_config({"per_compliant_day": 20, "minutes_per_point": 60})
    assert (
        rules.per_compliant_day == 20
        and rules.minutes_per_point == 60
        and rules.per_resolved_case == 10
    )
    with pytest.raises(ValueError, match="未知的积分规则项"):
        PointsRules.from_config({"per_day": 5})
    with pytest.raises(ValueError):
        PointsRules.from_config({"minutes_per_point": 0})


def test_a_zero_rule_emits_no_lines():
    rules = PointsRules(per_compliant_day=0)
    lines = award_lines([PatrolDayFact(1, 7, date(2026, 7, 1), True, 20.0)], [], rules)
    assert lines == []


def test_adjustments_bring_booked_facts_to_their_re_evaluated_amounts():
    from credits.rules import adjustment_lines, parse_adjustment_reference, patrol_day_expectations

    rules = PointsRules()
    ref = "pairday:7:2026-07-01"
    # The day was booked compliant with 130 minutes (10 + 4); a re-check found it non-compliant, 65 min.
    expected = patrol_day_expectations([PatrolDayFact(1, 7, date(2026, 7, 1), False, 65.0)], rules)
    assert expected == {(1, KIND_PATROL_DAY, ref): 0, (1, KIND_MINUTES, ref): 2}
    booked = {(1, KIND_PATROL_DAY, ref): (10, 0), (1, KIND_MINUTES, ref): (4, 0)}
    lines = adjustment_lines(expected, booked)
    assert [(x.reference, x.amount) for x in lines] == [
        (f"adj:{KIND_MINUTES}:{ref}:1", -2),
        (f"adj:{KIND_PATROL_DAY}:{ref}:1", -10),
    ]
    assert parse_adjustment_reference(lines[0].reference) == (KIND_MINUTES, ref)
    # After those corrections nothing is left to adjust; a later flip back gets sequence 2.
    after = {(1, KIND_PATROL_DAY, ref): (0, 1), (1, KIND_MINUTES, ref): (2, 1)}
    assert adjustment_lines(expected, after) == []
    back = patrol_day_expectations([PatrolDayFact(1, 7, date(2026, 7, 1), True, 130.0)], rules)
    assert [(x.reference, x.amount) for x in adjustment_lines(back, after)] == [
        (f"adj:{KIND_MINUTES}:{ref}:2", 2),
        (f"adj:{KIND_PATROL_DAY}:{ref}:2", 10),
    ]
