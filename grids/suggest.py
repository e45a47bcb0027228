"""The "suggest" action: a balanced, contiguous split of a community's unassigned segments among its pairs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Sum

from geo.local_days import local_today
from geo.models import Community, Segment
from grids.assignment import AssignmentError, assign
from grids.models import AssignmentChange, Claim
from grids.network import Seg, split
from stewards.models import Pair


def active_pairs(community_id: int, day: dt.date) -> list[Pair]:
    return list(
        Pair.objects.filter(community_id=community_id, formed_on__lte=day)
        .filter(Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=day))
        .order_by("id")
    )


def load_segs(qs) -> list[Seg]:
    return [
        Seg(s.pk, s.length_m, tuple(s.geom.coords[0]), tuple(s.geom.coords[-1]))
        for s in qs.only("id", "length_m", "geom").order_by("id")
    ]


def unassigned_segments(community_id: int, day: dt.date):
    taken = Claim.objects.from_day(day).filter(segment_id=OuterRef("pk"))
    return Segment.objects.valid_on(day).filter(community_id=community_id).exclude(Exists(taken))


def suggest(community: Community, day: dt.date | None = None) -> dict[int, list[int]]:
    """{pair id: [segment ids]} for the community's unassigned segments; nothing is saved."""
    day = day or local_today()
    pairs = active_pairs(community.pk, day)
    if not pairs:
        return {}
    held = dict(
        Claim.objects.on(day)
        .filter(pair__in=pairs)
        .values_list("pair_id")
        .annotate(m=Sum("segment__length_m"))
    )
    groups = split(
        load_segs(unassigned_segments(community.pk, day)),
        len(pairs),
        [held.get(p.pk, 0.0) for p in pairs],
    )
    return {p.pk: g for p, g in zip(pairs, groups, strict=True)}


def apply_suggestion(
    community: Community,
    proposal: dict[int, list[int]],
    *,
    user: Any = None,
    day: dt.date | None = None,
) -> AssignmentChange:
    """Save a proposal as one undoable batch (fails whole with DoubleClaim if anything was taken)."""
    day = day or local_today()
    pairs = {p.pk: p for p in active_pairs(community.pk, day)}
    with transaction.atomic():
        change = AssignmentChange.objects.create(
            street_office_id=community.street_office_id, kind=AssignmentChange.Kind.SUGGEST,
            note=f"{community.name} 自动建议", created_by=user,
        )  # fmt: skip
        for pair_id, segment_ids in proposal.items():
            if pair_id not in pairs:
                raise AssignmentError(f"组 {pair_id} 不是本社区当前的巡查组。")
            if segment_ids:
                assign(pairs[pair_id], segment_ids, user=user, valid_from=day, change=change)
    return change
