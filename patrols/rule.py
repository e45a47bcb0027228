"""The verdict of the patrol rule for one pair-day, from measured numbers and parameters. Pure.

The conditions form a funnel — members present → together → inside the claimed area → at
walking speed (→ in every required time slot) — and the verdict names the first step where the
minutes fell below the minimum, with a reason a supervisor can act on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from patrols.rule_config import RuleParams
from patrols.together import PairDayMeasurement


class Failure:
    MEMBERS = "members_missing"
    TOGETHER = "not_together"
    INSIDE = "outside_area"
    WALKING = "not_walking"
    SLOT = "slot_missed"
    NOT_INDEPENDENT = "evidence_not_independent"  # patrols.evidence


@dataclass(frozen=True)
class FailedCondition:
    code: str
    reason: str


@dataclass
class Verdict:
    compliant: bool
    minutes_qualifying: float
    minutes_together: float
    minutes_together_inside: float
    minutes_inside_per_member: list[float]
    walked_share: float
    failed: list[FailedCondition] = field(default_factory=list)
    numbers: dict = field(default_factory=dict)
    # Said with the verdict but not a failed condition (e.g. "uploaded by the supervisor").
    notes: list[str] = field(default_factory=list)

    @property
    def failed_codes(self) -> list[str]:
        return [f.code for f in self.failed]

    @property
    def reasons(self) -> list[str]:
        return [f.reason for f in self.failed] + self.notes

    def as_dict(self) -> dict:
        return {
            "compliant": self.compliant,
            "minutes_qualifying": self.minutes_qualifying,
            "minutes_together": self.minutes_together,
            "minutes_together_inside": self.minutes_together_inside,
            "minutes_inside_per_member": self.minutes_inside_per_member,
            "walked_share": self.walked_share,
            "failed": [{"code": f.code, "reason": f.reason} for f in self.failed],
            "numbers": self.numbers,
        }


def _fmt(value: float) -> str:
    """A parameter as configured (a distance, a required number of minutes)."""
    return f"{value:.1f}"


def floor_to(value: float, decimals: int = 1) -> float:
    """`value` rounded down: an achieved figure shown below a minimum must never read as the
    minimum itself (119.97 minutes is "119.9", not "120.0"). The tiny epsilon keeps binary
    fractions such as 0.29*100 = 28.999… from losing a digit they have."""
    scale = 10**decimals
    return math.floor(value * scale + 1e-9) / scale


def _got(minutes: float) -> str:
    """An achieved number of minutes, rounded down."""
    return f"{floor_to(minutes, 1):.1f}"


def _need(minutes: float) -> str:
    """A required number of minutes, rounded up, so "got < need" still reads that way."""
    return f"{math.ceil(minutes * 10 - 1e-9) / 10:.1f}"


def _funnel_failure(m: PairDayMeasurement, params: RuleParams) -> FailedCondition | None:
    """The first step of the funnel (present → together → inside → walking) below the minimum."""
    need_s = params.min_minutes * 60.0
    minimum = _need(params.min_minutes)
    if m.members_with_data < params.group_size:
        return FailedCondition(
            Failure.MEMBERS,
            _("当天只有 %(n)s 名组员上传了轨迹，规则要求 %(k)s 人同行巡视")
            % {"n": m.members_with_data, "k": params.group_size},
        )
    if m.seconds_together < need_s:
        return FailedCondition(
            Failure.TOGETHER,
            _("组员相距 %(d)s 米以内的时间共 %(got)s 分钟，不足 %(min)s 分钟")
            % {
                "d": _fmt(params.together_m),
                "got": _got(m.seconds_together / 60),
                "min": minimum,
            },
        )
    if m.seconds_together_inside < need_s:
        return FailedCondition(
            Failure.INSIDE,
            _("同行 %(tog)s 分钟，但在认领街巷 %(d)s 米范围内只有 %(got)s 分钟，不足 %(min)s 分钟")
            % {
                "tog": _got(m.seconds_together / 60),
                "d": _fmt(params.inside_m),
                "got": _got(m.seconds_together_inside / 60),
                "min": minimum,
            },
        )
    if m.seconds_qualifying < need_s:
        return FailedCondition(
            Failure.WALKING,
            _(
                "在认领片区内同行 %(ins)s 分钟，其中步行速度（%(lo)s–%(hi)s 米/秒）只有 %(got)s 分钟，"
                "乘车或长时间停留不计入巡视"
            )
            % {
                "ins": _got(m.seconds_together_inside / 60),
                "lo": params.walk_speed_min,
                "hi": params.walk_speed_max,
                "got": _got(m.seconds_qualifying / 60),
            },
        )
    return None


def _slot_failures(m: PairDayMeasurement, params: RuleParams) -> list[FailedCondition]:
    """Every required time slot with fewer qualifying minutes than slot_min_minutes."""
    failed: list[FailedCondition] = []
    for (start, end), seconds in zip(params.time_slots, m.slot_seconds, strict=False):
        if seconds < params.slot_min_minutes * 60.0:
            failed.append(
                FailedCondition(
                    Failure.SLOT,
                    _("%(a)s–%(b)s 时段巡视 %(got)s 分钟，不足 %(min)s 分钟")
                    % {
                        "a": start,
                        "b": end,
                        "got": _got(seconds / 60),
                        "min": _need(params.slot_min_minutes),
                    },
                )
            )
    return failed


def verdict(
    m: PairDayMeasurement,
    params: RuleParams,
    *,
    uncredited_reason: str | None = None,
    notes: list[str] | None = None,
) -> Verdict:
    """Compliant when the group patrolled together, inside its area, walking, ≥ min_minutes.

    `uncredited_reason` says why some seconds together were not credited (patrols.evidence):
    a failed condition when the day fails, a note when it passes anyway.
    """
    funnel = _funnel_failure(m, params)
    failed = ([funnel] if funnel is not None else []) + _slot_failures(m, params)
    notes = list(notes or [])
    if uncredited_reason and failed:
        failed.insert(0, FailedCondition(Failure.NOT_INDEPENDENT, uncredited_reason))
    elif uncredited_reason:
        notes.insert(0, uncredited_reason)
    return Verdict(
        compliant=not failed,
        # Rounded down, as in the reasons: a stored 119.997 must not display as 120.0.
        minutes_qualifying=floor_to(m.seconds_qualifying / 60.0, 2),
        minutes_together=floor_to(m.seconds_together / 60.0, 2),
        minutes_together_inside=floor_to(m.seconds_together_inside / 60.0, 2),
        minutes_inside_per_member=[floor_to(s / 60.0, 2) for s in m.seconds_inside_walking],
        walked_share=round(m.walked_share, 4),
        failed=failed,
        numbers=m.numbers(),
        notes=notes,
    )
