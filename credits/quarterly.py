"""Collecting a quarter's service facts and storing the quarterly assessment (季度考核).

``collect_inputs`` is the ONE place that reads other apps' models (the patrol rule's
``PairDayVerdict`` and ``grids.SegmentCoverage``, hazard ``HazardReport``); it goes through a
``ServiceSources`` object so tests — and a branch where those apps are not merged yet — can inject
the facts. Scoring is the pure ``credits.grading.score_inputs``.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol

from django.apps import apps
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from credits import queries as credit_queries
from credits.grading import (
    INCOMPETENT,
    AssessmentParams,
    StewardQuarterInputs,
    quarter_bounds,
    score_inputs,
)
from credits.models import Assessment, CreditSettings, ReplacementTask
from credits.rules import PatrolDayFact, PointsRules, ReportFact
from geo.local_days import local_date
from geo.models import StreetOffice
from stewards.models import Steward, membership_on


@dataclass(frozen=True)
class RatingFact:
    steward_id: int
    report_id: int
    stars: int


class ServiceSources(Protocol):
    """Where the facts come from, for [start, end) local days of one street office."""

    def patrol_days(self, office_id: int, start: date, end: date) -> Iterable[PatrolDayFact]: ...

    def reports(self, office_id: int, start: date, end: date) -> Iterable[ReportFact]: ...

    def ratings(self, office_id: int, start: date, end: date) -> Iterable[RatingFact]: ...

    def claimed_coverage(self, office_id: int, start: date, end: date) -> dict[int, float]: ...


class SourceNotAvailable(RuntimeError):
    pass


def _model(label: str):
    try:
        return apps.get_model(label)
    except LookupError as exc:
        raise SourceNotAvailable(
            f"{label} 不存在：积分与考核需要巡查规则（PairDayVerdict、SegmentCoverage）和隐患上报"
            f"（HazardReport）模块；合并前请传入 sources。"
        ) from exc


def _local_range(start: date, end: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), tz),
        timezone.make_aware(datetime.combine(end, time.min), tz),
    )


class DatabaseSources:
    """The facts as stored by the patrol-rule (#5) and hazard-report (#6) modules.

    - patrol days: one ``PairDayVerdict`` per pair per local day, shared by every member of the pair
      on that day (``joined_on <= day < left_on``);
    - reports: ``HazardReport`` filed by a steward account (``reporter_kind='steward'``); "verified"
      = accepted as genuine (立案, ``accepted_at``), "resolved case" = ``resolved_at``;
    - ratings: residents' stars on the steward's reports resolved in the period;
    - coverage: ``credit_queries.claimed_coverage_by_steward`` over ``grids_segmentcoverage``.
    """

    def patrol_days(self, office_id: int, start: date, end: date) -> Iterable[PatrolDayFact]:
        verdict = _model("patrols.PairDayVerdict")
        # One filter() call so the membership conditions apply to the same PairMember row.
        rows = (
            verdict.objects.filter(street_office_id=office_id, day__gte=start, day__lt=end)
            .filter(membership_on(F("day"), "pair__members__"))
            .values_list(
                "pair__members__steward_id", "pair_id", "day", "compliant", "minutes_qualifying"
            )
            .order_by("day", "pair_id")
        )
        for sid, pid, day, ok, minutes in rows.iterator(chunk_size=5000):
            yield PatrolDayFact(sid, pid, day, ok, float(minutes))

    def _steward_reports(self, office_id: int):
        report = _model("hazards.HazardReport")
        return report.objects.filter(
            street_office_id=office_id, reporter_kind="steward", reporter__steward__isnull=False
        )

    def reports(self, office_id: int, start: date, end: date) -> Iterable[ReportFact]:
        lo, hi = _local_range(start, end)
        qs = self._steward_reports(office_id).filter(
            Q(accepted_at__gte=lo, accepted_at__lt=hi) | Q(resolved_at__gte=lo, resolved_at__lt=hi)
        )
        for rid, sid, acc, res in qs.values_list(
            "id", "reporter__steward__id", "accepted_at", "resolved_at"
        ):
            acc_d, res_d = local_date(acc), local_date(res)
            yield ReportFact(
                sid,
                rid,
                acc_d if acc_d and start <= acc_d < end else None,
                res_d if res_d and start <= res_d < end else None,
            )

    def ratings(self, office_id: int, start: date, end: date) -> Iterable[RatingFact]:
        lo, hi = _local_range(start, end)
        qs = self._steward_reports(office_id).filter(
            rating__isnull=False, resolved_at__gte=lo, resolved_at__lt=hi
        )
        for rid, sid, stars in qs.values_list("id", "reporter__steward__id", "rating"):
            yield RatingFact(sid, rid, int(stars))

    def claimed_coverage(self, office_id: int, start: date, end: date) -> dict[int, float]:
        _model("patrols.SegmentCoverage")
        return credit_queries.claimed_coverage_by_steward(office_id, start, end)


@dataclass
class StaticSources:
    """Facts given in memory (tests, imports from another system)."""

    patrol_day_facts: list[PatrolDayFact] = field(default_factory=list)
    report_facts: list[ReportFact] = field(default_factory=list)
    rating_facts: list[RatingFact] = field(default_factory=list)
    coverage: dict[int, float] = field(default_factory=dict)

    def patrol_days(self, office_id: int, start: date, end: date) -> Iterable[PatrolDayFact]:
        return [f for f in self.patrol_day_facts if start <= f.day < end]

    def reports(self, office_id: int, start: date, end: date) -> Iterable[ReportFact]:
        def inside(d: date | None) -> date | None:
            return d if d is not None and start <= d < end else None

        out = []
        for r in self.report_facts:
            v, s = inside(r.verified_on), inside(r.resolved_on)
            if v or s:
                out.append(ReportFact(r.steward_id, r.report_id, v, s))
        return out

    def ratings(self, office_id: int, start: date, end: date) -> Iterable[RatingFact]:
        return list(self.rating_facts)

    def claimed_coverage(self, office_id: int, start: date, end: date) -> dict[int, float]:
        return dict(self.coverage)


def settings_for(office: StreetOffice) -> tuple[PointsRules, AssessmentParams]:
    cfg = CreditSettings.objects.filter(street_office=office).first()
    if cfg is None:
        return PointsRules(), AssessmentParams()
    return PointsRules.from_config(cfg.points_rules), AssessmentParams.from_config(
        cfg.assessment_params
    )


def assessed_stewards(office: StreetOffice, seen: Iterable[int]) -> list[Steward]:
    """Serving stewards of the office plus anyone with facts in the quarter (e.g. resigned since)."""
    return list(
        Steward.objects.filter(street_office=office)
        .filter(
            Q(status__in=[Steward.Status.APPOINTED, Steward.Status.ACTIVE]) | Q(pk__in=list(seen))
        )
        .order_by("pk")
    )


def collect_inputs(
    office: StreetOffice, quarter: str, sources: ServiceSources | None = None
) -> list[StewardQuarterInputs]:
    """One ``StewardQuarterInputs`` per steward of the office for the quarter, ordered by steward id."""
    sources = sources or DatabaseSources()
    start, end = quarter_bounds(quarter)
    eligible: dict[int, set[date]] = defaultdict(set)
    compliant: dict[int, set[date]] = defaultdict(set)
    minutes: dict[int, float] = defaultdict(float)
    for f in sources.patrol_days(office.pk, start, end):
        # A day counts once per steward even if they switched pairs that day.
        eligible[f.steward_id].add(f.day)
        if f.compliant:
            compliant[f.steward_id].add(f.day)
        minutes[f.steward_id] += f.minutes_qualifying
    verified: dict[int, int] = defaultdict(int)
    resolved: dict[int, int] = defaultdict(int)
    for r in sources.reports(office.pk, start, end):
        verified[r.steward_id] += r.verified_on is not None
        resolved[r.steward_id] += r.resolved_on is not None
    ratings: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for rf in sources.ratings(office.pk, start, end):
        ratings[rf.steward_id].append((rf.report_id, rf.stars))
    coverage = sources.claimed_coverage(office.pk, start, end)

    seen = set(eligible) | set(verified) | set(resolved) | set(ratings)
    out = []
    for s in assessed_stewards(office, seen):
        out.append(
            StewardQuarterInputs(
                steward_id=s.pk,
                community_id=s.community_id,
                eligible_days=len(eligible[s.pk]),
                compliant_days=len(compliant[s.pk]),
                patrol_minutes=round(minutes[s.pk], 1),
                claimed_coverage_share=None if s.pk not in coverage else round(coverage[s.pk], 4),
                verified_reports=verified[s.pk],
                resolved_cases=resolved[s.pk],
                # Sorted by report id: the stored inputs do not depend on query order.
                ratings=tuple(stars for _rid, stars in sorted(ratings[s.pk])),
            )
        )
    return out


@dataclass
class QuarterRun:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    confirmed_kept: int = 0
    graded: int = 0
    ungraded: int = 0


def assess_quarter(
    office: StreetOffice, quarter: str, sources: ServiceSources | None = None
) -> QuarterRun:
    """Compute and store the quarter's assessments. Recomputing replaces unconfirmed rows (same
    inputs -> same row); confirmed grades are never overwritten."""
    _points, params = settings_for(office)
    quarter = quarter.strip().upper()
    run = QuarterRun()
    inputs = collect_inputs(office, quarter, sources)
    now = timezone.now()
    with transaction.atomic():
        existing = {
            a.steward_id: a
            for a in Assessment.objects.select_for_update().filter(
                street_office=office, quarter=quarter
            )
        }
        for inp in inputs:
            result = score_inputs(inp, params)
            values = {
                "community_id": inp.community_id,
                "score": result.score,
                "grade": result.grade,
                "reasons": result.reasons,
                "inputs": {**inp.as_json(), "parts": result.parts, "params": params.as_dict()},
                "formula_version": params.formula_version,
            }
            run.graded += result.grade is not None
            run.ungraded += result.grade is None
            row = existing.get(inp.steward_id)
            if row is None:
                Assessment.objects.create(
                    steward_id=inp.steward_id,
                    street_office=office,
                    quarter=quarter,
                    computed_at=now,
                    **values,
                )
                run.created += 1
            elif row.confirmed_at is not None:
                run.confirmed_kept += 1
            elif all(getattr(row, k) == v for k, v in values.items()):
                run.unchanged += 1
            else:
                for k, v in values.items():
                    setattr(row, k, v)
                row.computed_at = now
                row.save()
                run.updated += 1
    return run


def add_one_month(day: date) -> date:
    """Same day next month, clamped to the month's end (Jan 31 -> Feb 28/29)."""
    y, m = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(y, m, min(day.day, calendar.monthrange(y, m)[1]))


def confirm_assessment(assessment: Assessment, user) -> ReplacementTask | None:
    """A planner confirms a grade. An incompetent grade opens the community's replacement task
    (辞退并在一个月内重新招募). Confirming twice is a no-op (conditional UPDATE)."""
    if assessment.grade is None:
        raise ValueError("数据不足、未评定等级的考核不能确认")
    now = timezone.now()
    with transaction.atomic():
        changed = Assessment.objects.filter(pk=assessment.pk, confirmed_at__isnull=True).update(
            confirmed_at=now, confirmed_by=user
        )
        if changed != 1:
            return None
        assessment.refresh_from_db()
        if assessment.grade != INCOMPETENT:
            return None
        opened = timezone.localtime(now).date()
        return ReplacementTask.objects.create(
            community_id=assessment.community_id,
            street_office_id=assessment.street_office_id,
            steward_id=assessment.steward_id,
            assessment=assessment,
            opened_at=now,
            due=add_one_month(opened),
            note=f"{assessment.quarter} 考核不称职，须在 {add_one_month(opened)} 前完成补选",
        )


def award_facts(
    office: StreetOffice, start: date, end: date, sources: ServiceSources | None = None
) -> tuple[list[PatrolDayFact], list[ReportFact]]:
    """The service facts of [start, end) that earn points."""
    sources = sources or DatabaseSources()
    return list(sources.patrol_days(office.pk, start, end)), list(
        sources.reports(office.pk, start, end)
    )


def days(start: date, end: date, step: int) -> Iterable[tuple[date, date]]:
    """[start, end) in chunks of ``step`` days (for progress output)."""
    cur = start
    while cur < end:
        nxt = min(cur + timedelta(days=step), end)
        yield cur, nxt
        cur = nxt


def default_sources() -> ServiceSources:
    """The sources the commands use (the seam tests replace)."""
    return DatabaseSources()
