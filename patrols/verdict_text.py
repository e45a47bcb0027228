"""A stored verdict's reasons in the reader's language.

Reasons are stored as sentences in the language the rule ran in (the source language, Chinese).
A reader of another language gets them written again from the stored failed conditions and
numbers with the office's rule parameters; if those parameters have changed since, so that the
same numbers would fail differently, the stored sentences are shown as they are."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import get_language

from patrols.rule import verdict
from patrols.rule_config import RuleParams
from patrols.together import PairDayMeasurement


def _seconds(minutes) -> int:
    return round(float(minutes or 0) * 60)


def measurement_from_numbers(numbers: dict) -> PairDayMeasurement:
    """The stored numbers (minutes) back as the measurement the rule reads (seconds)."""
    return PairDayMeasurement(
        day=None,  # type: ignore[arg-type] - the rule's text does not read the day
        member_ids=list(numbers.get("member_ids", [])),
        group_size=int(numbers.get("members_expected", 2)),
        step_s=1,
        seconds_with_data=[_seconds(m) for m in numbers.get("minutes_with_data", [])],
        seconds_inside_walking=[_seconds(m) for m in numbers.get("minutes_inside_per_member", [])],
        seconds_together=_seconds(numbers.get("minutes_together")),
        seconds_together_walking=_seconds(numbers.get("minutes_together_walking")),
        seconds_together_inside=_seconds(numbers.get("minutes_together_inside")),
        seconds_qualifying=_seconds(numbers.get("minutes_qualifying")),
        slot_seconds=[_seconds(m) for m in numbers.get("slot_minutes", [])],
    )


def reasons_in_language(
    reasons: list[str], codes: list[str], numbers: dict, params: RuleParams
) -> list[str]:
    if not reasons or (get_language() or "").lower() == settings.LANGUAGE_CODE.lower():
        return list(reasons)
    again = verdict(measurement_from_numbers(numbers or {}), params)
    return again.reasons if again.failed_codes == list(codes) else list(reasons)


def localise(verdicts, params: RuleParams) -> None:
    """Set `shown_reasons` on each stored verdict (PairDayVerdict) for the templates."""
    for v in verdicts:
        v.shown_reasons = reasons_in_language(v.reasons, v.failed_codes, v.numbers, params)
