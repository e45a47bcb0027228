"""Quarterly assessment (季度考核) grading: score and grade one steward's quarter. Pure, no ORM.

Formula (version ``FORMULA_VERSION``; every weight and threshold is per-street-office configuration
in ``CreditSettings.assessment_params``, defaults below)::

    compliance   = compliant_days / eligible_days                       (两人两小时 days met)
    coverage     = claimed_coverage_share                               (share of claimed alley length walked in the quarter)
    reports      = min(1, verified_reports / reports_target)            (隐患上报, verified)
    satisfaction = (mean star rating - 1) / 4                           (群众满意度, 1..5 stars -> 0..1)

    score = 100 * sum(weight_i * part_i) / sum(weight_i over the parts that have data)

Default weights: satisfaction 35, compliance 30, coverage 20, reports 15 — residents' satisfaction
weighs most (Gutian's 管理办法: "群众满意度作为最重要的考评内容"). A part without data (no ratings,
no claimed alleys) drops out and the others are re-normalised; the reasons say so.

Grades: 优秀 score >= 85, 称职 score >= 60, else 不称职; and 不称职 whatever the score if fewer
than ``min_compliance_rate`` (default 50%) of the eligible days met the rule.
No grade ("数据不足，不评定") with fewer than ``min_eligible_days`` (default 30) eligible days.

Scores are computed with ``Decimal`` and rounded half-up to one decimal, so the same inputs always
give the same score and grade (no float-order surprises at a threshold).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext_lazy

FORMULA_VERSION = "v1"

EXCELLENT = "excellent"
COMPETENT = "competent"
INCOMPETENT = "incompetent"
# Lazy: the board shows them in the reader's language; stored reasons keep the language they were
# written in.
GRADE_LABELS = {
    EXCELLENT: gettext_lazy("优秀"),
    COMPETENT: gettext_lazy("称职"),
    INCOMPETENT: gettext_lazy("不称职"),
}


@dataclass(frozen=True)
class StewardQuarterInputs:
    """Everything the assessment reads about one steward in one quarter (collected by
    ``credits.quarterly.collect_inputs``)."""

    steward_id: int
    community_id: int
    eligible_days: int  # local days the steward's pair had a verdict (was in a pair with claims)
    compliant_days: int
    patrol_minutes: float  # minutes together inside the area, summed over the quarter
    claimed_coverage_share: float | None  # None: no claimed alleys in the quarter
    verified_reports: int
    resolved_cases: int
    ratings: tuple[int, ...] = ()

    @property
    def rating_mean(self) -> float | None:
        return sum(self.ratings) / len(self.ratings) if self.ratings else None

    def as_json(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["ratings"] = list(self.ratings)
        d["rating_mean"] = None if self.rating_mean is None else round(self.rating_mean, 3)
        return d


@dataclass(frozen=True)
class AssessmentParams:
    weight_compliance: int = 30
    weight_coverage: int = 20
    weight_reports: int = 15
    weight_satisfaction: int = 35
    reports_target: int = 6  # verified reports a quarter for the full reports part
    excellent_min: int = 85
    competent_min: int = 60
    min_eligible_days: int = 30
    min_compliance_rate: float = 0.5

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> AssessmentParams:
        config = dict(config or {})
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = set(config) - set(known)
        if unknown:
            raise ValueError(
                f"未知的考核参数：{', '.join(sorted(unknown))}（可用：{', '.join(sorted(known))}）"
            )
        typed = {k: (float(v) if k == "min_compliance_rate" else int(v)) for k, v in config.items()}
        params = cls(**typed)
        weights = (
            params.weight_compliance,
            params.weight_coverage,
            params.weight_reports,
            params.weight_satisfaction,
        )
        if min(weights) < 0 or sum(weights) == 0:
            raise ValueError("考核权重不能为负，且不能全部为 0")
        if not 0 <= params.competent_min <= params.excellent_min <= 100:
            raise ValueError("需满足 0 ≤ 称职分数线 ≤ 优秀分数线 ≤ 100")
        if params.reports_target <= 0:
            raise ValueError("reports_target 必须大于 0")
        return params

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def digest(self) -> str:
        raw = json.dumps(self.as_dict(), sort_keys=True).encode()
        return hashlib.sha256(raw).hexdigest()[:8]

    @property
    def formula_version(self) -> str:
        return f"{FORMULA_VERSION}-{self.digest()}"


@dataclass(frozen=True)
class AssessmentResult:
    steward_id: int
    score: Decimal | None
    grade: str | None
    reasons: list[dict[str, Any]] = field(default_factory=list)
    parts: dict[str, str | None] = field(default_factory=dict)


ONE_DECIMAL = Decimal("0.1")


def _dec(x: float) -> Decimal:
    # Through repr so 0.1 stays 0.1 (not its binary expansion); rounded to 6 places first.
    return Decimal(repr(round(x, 6)))


# part key -> (value 0..1 or None without data, weight, label for the reasons)
Parts = dict[str, tuple[Decimal | None, int, str]]


def _parts(inputs: StewardQuarterInputs, params: AssessmentParams, compliance: Decimal) -> Parts:
    return {
        "compliance": (compliance, params.weight_compliance, "巡查达标率"),
        "coverage": (
            None
            if inputs.claimed_coverage_share is None
            else min(Decimal(1), max(Decimal(0), _dec(inputs.claimed_coverage_share))),
            params.weight_coverage,
            "认领街巷覆盖率",
        ),
        "reports": (
            min(Decimal(1), Decimal(inputs.verified_reports) / Decimal(params.reports_target)),
            params.weight_reports,
            "隐患上报（已核实）",
        ),
        "satisfaction": (
            None
            if inputs.rating_mean is None
            else (Decimal(sum(inputs.ratings)) / Decimal(len(inputs.ratings)) - 1) / 4,
            params.weight_satisfaction,
            "群众满意度",
        ),
    }


def _part_reasons(parts: Parts) -> list[dict[str, Any]]:
    reasons: list[dict[str, Any]] = []
    for key, (value, w, label) in parts.items():
        if value is None:
            reasons.append(
                {"code": f"{key}_missing", "text": f"{label}：无数据，权重 {w} 按比例分摊到其他项"}
            )
        else:
            pct = (value * 100).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)
            reasons.append(
                {
                    "code": key,
                    "text": f"{label} {pct}%（权重 {w}）",
                    "value": str(pct),
                    "weight": w,
                }
            )
    return reasons


def _grade(
    score: Decimal, compliance: Decimal, inputs: StewardQuarterInputs, params: AssessmentParams
) -> tuple[str, list[dict[str, Any]]]:
    """The grade and its reasons: too few compliant days fail whatever the score."""
    reasons: list[dict[str, Any]] = []
    if compliance < _dec(params.min_compliance_rate):
        grade = INCOMPETENT
        reasons.append(
            {
                "code": "low_compliance",
                "text": f"巡查达标 {inputs.compliant_days}/{inputs.eligible_days} 日，"
                f"低于 {_dec(params.min_compliance_rate) * 100:.0f}%，评为不称职",
            }
        )
    elif score >= params.excellent_min:
        grade = EXCELLENT
    elif score >= params.competent_min:
        grade = COMPETENT
    else:
        grade = INCOMPETENT
    reasons.append(
        {
            "code": "grade",
            "text": f"得分 {score}（优秀 ≥ {params.excellent_min}，称职 ≥ {params.competent_min}）："
            f"{GRADE_LABELS[grade]}",
        }
    )
    return grade, reasons


def score_inputs(inputs: StewardQuarterInputs, params: AssessmentParams) -> AssessmentResult:
    """Score and grade one steward's quarter, with reasons a planner can read out."""
    reasons: list[dict[str, Any]] = []
    if inputs.eligible_days < params.min_eligible_days:
        reasons.append(
            {
                "code": "insufficient_data",
                "text": f"数据不足，不评定：本季度仅 {inputs.eligible_days} 个有效巡查日，"
                f"少于 {params.min_eligible_days} 日",
            }
        )
        return AssessmentResult(inputs.steward_id, None, None, reasons, {})

    compliance = Decimal(inputs.compliant_days) / Decimal(inputs.eligible_days)
    parts = _parts(inputs, params, compliance)
    total_w = sum(w for value, w, _label in parts.values() if value is not None)
    if total_w == 0:
        reasons.append({"code": "no_weighted_data", "text": "数据不足，不评定：所有计分项均无数据"})
        return AssessmentResult(inputs.steward_id, None, None, reasons, {})
    weighted = sum(value * w for value, w, _label in parts.values() if value is not None)
    score = (Decimal(100) * weighted / Decimal(total_w)).quantize(
        ONE_DECIMAL, rounding=ROUND_HALF_UP
    )

    reasons += _part_reasons(parts)
    grade, grade_reasons = _grade(score, compliance, inputs, params)
    reasons += grade_reasons
    shown = {
        k: (None if v is None else str(v.quantize(Decimal("0.0001"))))
        for k, (v, _w, _l) in parts.items()
    }
    return AssessmentResult(inputs.steward_id, score, grade, reasons, shown)


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """'2026Q3' -> (2026-07-01, 2026-10-01): the end is exclusive."""
    q = quarter.strip().upper()
    if len(q) != 6 or q[4] != "Q" or not q[:4].isdigit() or q[5] not in "1234":
        raise ValueError(f"季度格式应为 2026Q3 这样的形式，收到：{quarter!r}")
    year, n = int(q[:4]), int(q[5])
    start = date(year, 3 * (n - 1) + 1, 1)
    end = date(year + 1, 1, 1) if n == 4 else date(year, 3 * n + 1, 1)
    return start, end


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def top_scorers(results: Mapping[int, Decimal | None]) -> set[int]:
    """金牌管家: the steward(s) with the highest score (ties share the title); none if nobody graded."""
    scored = {k: v for k, v in results.items() if v is not None}
    if not scored:
        return set()
    best = max(scored.values())
    return {k for k, v in scored.items() if v == best}
