"""A verdict's sentence never contradicts its numbers: a pair 0.03 minutes short of 120 does not
read "120.0 分钟，不足 120.0 分钟", in the reasons, the stored numbers or the pages' figures."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.template import Context, Template
from django.utils import translation

from patrols.rule import Failure, floor_to, verdict
from patrols.rule_config import RuleParams
from patrols.together import PairDayMeasurement

DAY = date(2024, 5, 14)


def measurement(**seconds) -> PairDayMeasurement:
    base = dict(seconds_together=7300, seconds_together_inside=7300, seconds_qualifying=7300)
    base.update(seconds)
    return PairDayMeasurement(
        day=DAY,
        member_ids=[1, 2],
        group_size=2,
        step_s=1,
        seconds_with_data=[8000, 8000],
        seconds_inside_walking=[7199, 7300],
        **base,
    )


def numbers_in(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"\d+\.\d", text)]


@pytest.mark.parametrize(
    "short, code",
    [
        ({"seconds_together": 7199}, Failure.TOGETHER),
        ({"seconds_together_inside": 7199}, Failure.INSIDE),
        ({"seconds_qualifying": 7199}, Failure.WALKING),
    ],
)
def test_a_pair_short_by_a_second_reads_short(short, code):
    with translation.override("zh-hans"):
        v = verdict(measurement(**short), RuleParams())
    assert v.failed_codes == [code]
    reason = v.reasons[0]
    assert "120.0 分钟" not in reason.split("不足")[0], reason
    assert "119.9" in reason
    if "不足" in reason:
        got, need = numbers_in(reason)[-2:]
        assert got < need


def test_required_minutes_are_rounded_up_and_achieved_ones_down():
    v = verdict(measurement(seconds_together=7198), RuleParams(min_minutes=119.99))
    got, need = numbers_in(v.reasons[0])[-2:]
    assert (got, need) == (119.9, 120.0)


def test_a_missed_slot_reads_short_too():
    params = RuleParams(time_slots=[("08:00", "09:00")], slot_min_minutes=30)
    m = measurement(slot_seconds=[1799])
    with translation.override("zh-hans"):
        v = verdict(m, params)
    assert v.failed_codes == [Failure.SLOT]
    got, need = numbers_in(v.reasons[0])[-2:]
    assert (got, need) == (29.9, 30.0)


def test_stored_figures_are_rounded_down():
    m = measurement(seconds_qualifying=7199)
    v = verdict(m, RuleParams())
    assert v.minutes_qualifying == 119.98
    assert v.minutes_inside_per_member == [119.98, 121.66]
    assert m.numbers()["minutes_qualifying"] == 119.9
    assert m.numbers()["minutes_inside_per_member"] == [119.9, 121.6]
    assert floor_to(0.29, 2) == 0.29  # no binary-fraction digit lost


def test_pages_show_minutes_rounded_down():
    t = Template(
        "{% load patrol_minutes %}{{ a|minutes_down }}|{{ a|minutes_down:1 }}|{{ b|minutes_down:1 }}"
    )
    assert t.render(Context({"a": 119.98, "b": 30.0})) == "119|119.9|30.0"
