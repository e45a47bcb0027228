"""Read models for the points board, leaderboards and exports (queries shared by pages, API, Excel)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy

from credits.grading import GRADE_LABELS, quarter_bounds, top_scorers
from credits.models import Assessment, PointsEntry
from geo.models import Community, StreetOffice
from stewards.models import Steward


@dataclass
class BoardRow:
    steward_id: int
    name: str
    community: str
    community_id: int
    balance: int
    earned_in_quarter: int
    redeemed_in_quarter: int
    score: Decimal | None
    grade: str | None
    grade_label: str
    confirmed: bool
    gold: bool
    rank: int | None
    assessment_id: int | None = None


def _quarter_range(quarter: str) -> tuple[datetime, datetime]:
    start, end = quarter_bounds(quarter)
    tz = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), tz),
        timezone.make_aware(datetime.combine(end, time.min), tz),
    )


def leaderboard(
    office: StreetOffice, quarter: str, community: Community | None = None
) -> dict[Community, list[BoardRow]]:
    """Per community: stewards by score (ungraded last), balance and the quarter's points; 金牌管家 =
    the community's top scorer(s)."""
    lo, hi = _quarter_range(quarter)
    stewards = Steward.objects.filter(street_office=office).select_related(
        "community", "points_balance"
    )
    if community is not None:
        stewards = stewards.filter(community=community)
    stewards = stewards.annotate(
        earned=Sum(
            "points_entries__amount",
            filter=Q(
                points_entries__amount__gt=0,
                points_entries__created_at__gte=lo,
                points_entries__created_at__lt=hi,
            ),
        ),
        redeemed=Sum(
            "points_entries__amount",
            filter=Q(
                points_entries__kind="redemption",
                points_entries__created_at__gte=lo,
                points_entries__created_at__lt=hi,
            ),
        ),
    )
    assessments = {
        a.steward_id: a for a in Assessment.objects.filter(street_office=office, quarter=quarter)
    }
    by_comm: dict[Community, list[BoardRow]] = {}
    for s in stewards:
        a = assessments.get(s.pk)
        if a is None and s.status not in (Steward.Status.ACTIVE, Steward.Status.APPOINTED):
            continue
        # Reverse one-to-one: a steward who never earned has no balance row yet.
        balance = s.points_balance.balance if hasattr(s, "points_balance") else 0
        by_comm.setdefault(s.community, []).append(
            BoardRow(
                steward_id=s.pk,
                name=s.name,
                community=s.community.name,
                community_id=s.community_id,
                balance=balance,
                earned_in_quarter=s.earned or 0,
                redeemed_in_quarter=-(s.redeemed or 0),
                score=a.score if a else None,
                grade=a.grade if a else None,
                grade_label=GRADE_LABELS.get(a.grade, "")
                if a and a.grade
                else (gettext_lazy("数据不足，不评定") if a else gettext_lazy("未考核")),
                confirmed=bool(a and a.confirmed_at),
                gold=False,
                rank=None,
                assessment_id=a.pk if a else None,
            )
        )
    for rows in by_comm.values():
        gold = top_scorers({r.steward_id: r.score for r in rows})
        rows.sort(key=lambda r: (r.score is None, -(r.score or 0), -r.balance, r.name))
        rank, prev = 0, None
        for i, r in enumerate(rows, start=1):
            r.gold = r.steward_id in gold
            if r.score is not None:
                rank = rank if r.score == prev else i
                r.rank, prev = rank, r.score
    return dict(sorted(by_comm.items(), key=lambda kv: kv[0].code))


def history(steward: Steward, limit: int | None = None) -> list[PointsEntry]:
    qs = PointsEntry.objects.filter(steward=steward).order_by("-created_at", "-id")
    return list(qs[:limit] if limit else qs)
