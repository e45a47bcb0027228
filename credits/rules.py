"""Points rules (积分规则): which verified service earns how many points. Pure, no ORM.

The facts come from the patrol rule (one verdict per pair per local day), hazard reports and cases;
``award_lines`` turns them into ledger lines, each with a stable ``reference`` so that booking them
again is a no-op (the ledger's unique (steward, kind, reference)). When a verdict is re-evaluated
after its points were booked (a late upload), ``award_points --recheck`` compares
``patrol_day_expectations`` with the ledger and books the difference as ``correction`` entries
referenced ``adj:<kind>:<fact>:<n>`` (``adjustment_lines``); the booked rows are never edited.

Defaults (a street office overrides any of them in ``CreditSettings.points_rules``):

===========================  =====  ===============================================================
rule                         value  meaning
===========================  =====  ===============================================================
per_compliant_day            10     each member of a pair whose day met the patrol rule (两人两小时)
minutes_per_point            30     1 point per full 30 minutes walked together inside the area ...
max_minute_points_per_day    8      ... at most 8 a day (4 hours), so a marathon day is not 20 days
per_verified_report          5      a hazard the steward reported, verified by the community
per_resolved_case            10     a case the steward reported that was resolved (整改)
===========================  =====  ===============================================================
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

KIND_PATROL_DAY = "earned_patrol_day"
KIND_MINUTES = "earned_minutes"
KIND_REPORT = "earned_report"
KIND_CASE = "earned_case"
KIND_REDEMPTION = "redemption"
KIND_CORRECTION = "correction"


@dataclass(frozen=True)
class PointsRules:
    per_compliant_day: int = 10
    minutes_per_point: int = 30
    max_minute_points_per_day: int = 8
    per_verified_report: int = 5
    per_resolved_case: int = 10

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> PointsRules:
        """Defaults overridden by a street office's JSON; unknown keys are an error, not ignored."""
        config = dict(config or {})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(config) - known
        if unknown:
            raise ValueError(
                f"未知的积分规则项：{', '.join(sorted(unknown))}（可用：{', '.join(sorted(known))}）"
            )
        rules = cls(**{k: int(v) for k, v in config.items()})
        for f in dataclasses.fields(rules):
            if getattr(rules, f.name) < 0:
                raise ValueError(f"积分规则 {f.name} 不能为负数")
        if rules.minutes_per_point == 0:
            raise ValueError("minutes_per_point 必须大于 0")
        return rules

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class PatrolDayFact:
    """One steward's share of one pair-day verdict."""

    steward_id: int
    pair_id: int
    day: date
    compliant: bool
    minutes_qualifying: float


@dataclass(frozen=True)
class ReportFact:
    """A hazard report filed by a steward; the dates are None until it got there."""

    steward_id: int
    report_id: int
    verified_on: date | None
    resolved_on: date | None


@dataclass(frozen=True)
class AwardLine:
    steward_id: int
    kind: str
    reference: str
    amount: int
    note: str


def minute_points(minutes: float, rules: PointsRules) -> int:
    """Full blocks of ``minutes_per_point``, capped per day."""
    if minutes <= 0:
        return 0
    return min(int(minutes // rules.minutes_per_point), rules.max_minute_points_per_day)


def award_lines(
    patrol_days: Iterable[PatrolDayFact], reports: Iterable[ReportFact], rules: PointsRules
) -> list[AwardLine]:
    """Ledger lines earned by these facts. Zero-point lines are not emitted (the ledger has none).

    References name the fact, not the verdict row, so re-evaluating a day (a new verdict id) does
    not award the same day twice.
    """
    lines: list[AwardLine] = []
    for f in patrol_days:
        ref = f"pairday:{f.pair_id}:{f.day.isoformat()}"
        if f.compliant and rules.per_compliant_day:
            lines.append(
                AwardLine(
                    f.steward_id, KIND_PATROL_DAY, ref, rules.per_compliant_day, f"{f.day} 巡查达标"
                )
            )
        pts = minute_points(f.minutes_qualifying, rules)
        if pts:
            lines.append(
                AwardLine(
                    f.steward_id,
                    KIND_MINUTES,
                    ref,
                    pts,
                    f"{f.day} 同行巡查 {f.minutes_qualifying:.0f} 分钟",
                )
            )
    for r in reports:
        ref = f"report:{r.report_id}"
        if r.verified_on is not None and rules.per_verified_report:
            lines.append(
                AwardLine(
                    r.steward_id, KIND_REPORT, ref, rules.per_verified_report, "上报隐患已核实"
                )
            )
        if r.resolved_on is not None and rules.per_resolved_case:
            lines.append(
                AwardLine(r.steward_id, KIND_CASE, ref, rules.per_resolved_case, "上报案件已办结")
            )
    lines.sort(key=lambda x: (x.steward_id, x.kind, x.reference))
    return lines


Key = tuple[int, str, str]  # (steward_id, kind, reference)


def patrol_day_expectations(
    patrol_days: Iterable[PatrolDayFact], rules: PointsRules
) -> dict[Key, int]:
    """What each patrol-day fact should have earned by today's verdicts, zeros included.

    A verdict can be re-evaluated after points were booked (a late track upload, a corrected
    claim); comparing these with what the ledger holds yields the correction entries.
    """
    out: dict[Key, int] = {}
    for f in patrol_days:
        ref = f"pairday:{f.pair_id}:{f.day.isoformat()}"
        out[(f.steward_id, KIND_PATROL_DAY, ref)] = rules.per_compliant_day if f.compliant else 0
        out[(f.steward_id, KIND_MINUTES, ref)] = minute_points(f.minutes_qualifying, rules)
    return out


def adjustment_reference(kind: str, reference: str, seq: int) -> str:
    return f"adj:{kind}:{reference}:{seq}"


def parse_adjustment_reference(reference: str) -> tuple[str, str] | None:
    """(kind, reference) of the fact an ``adj:`` correction adjusts, or None."""
    if not reference.startswith("adj:"):
        return None
    body = reference[4:].rsplit(":", 1)[0]
    kind, _, ref = body.partition(":")
    return (kind, ref) if kind and ref else None


def adjustment_lines(
    expected: dict[Key, int], booked: dict[Key, tuple[int, int]]
) -> list[AwardLine]:
    """Correction lines that bring each booked fact to its expected amount.

    ``booked`` maps a fact to (net points booked for it, corrections booked for it so far); facts
    never booked are not adjusted here (they are simply awarded). Amounts are signed.
    """
    lines = []
    for key in sorted(booked):
        if key not in expected:
            continue
        net, n_adj = booked[key]
        diff = expected[key] - net
        if diff:
            sid, kind, ref = key
            lines.append(
                AwardLine(
                    sid,
                    KIND_CORRECTION,
                    adjustment_reference(kind, ref, n_adj + 1),
                    diff,
                    f"重新判定后更正（{kind} {ref}：应得 {expected[key]}，已记 {net}）",
                )
            )
    return lines


def balance_after(entries: Iterable[int]) -> int:
    """The balance a ledger implies: the plain sum of its signed amounts."""
    return sum(entries)
