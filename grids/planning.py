"""Planning coverage: how much of each community's and grid's alley length is assigned to a pair.

Set-based: one aggregate query per level; the fragmentation check reuses the segment graph.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.utils.translation import gettext as _

from geo.geojson import feature, feature_collection
from geo.local_days import local_today
from geo.models import Segment
from grids.models import Claim
from grids.network import adjacency, components
from grids.suggest import load_segs
from stewards.models import PairMember, ProgrammeSettings


def _levels(street_office_id: int, day: dt.date, level: str) -> list[dict[str, Any]]:
    assigned = Exists(Claim.objects.on(day).filter(segment_id=OuterRef("pk")))
    rows = (
        Segment.objects.valid_on(day)
        .filter(street_office_id=street_office_id)
        .annotate(is_assigned=assigned)
        .values(f"{level}_id", area_name=F(f"{level}__name"))
        .annotate(
            total_m=Sum("length_m"),
            assigned_m=Sum("length_m", filter=Q(is_assigned=True)),
            segments=Count("id"),
            unassigned_segments=Count("id", filter=Q(is_assigned=False)),
        )
        .order_by(F(f"{level}__name").asc(nulls_last=True))
    )
    out = []
    for r in rows:
        total, done = r["total_m"] or 0.0, r["assigned_m"] or 0.0
        out.append(
            {
                "id": r[f"{level}_id"],
                "name": r["area_name"] or _("（未划入）"),
                "total_m": round(total, 1),
                "assigned_m": round(done, 1),
                "share": round(done / total, 4) if total else 0.0,
                "segments": r["segments"],
                "unassigned_segments": r["unassigned_segments"],
            }
        )
    return out


def pair_checks(street_office_id: int, day: dt.date) -> list[dict[str, Any]]:
    """Per pair: total length held, pieces of network, and the overlong / fragmented flags."""
    programme = ProgrammeSettings.for_office(street_office_id)
    limit = programme.max_pair_length_m
    claims = (
        Claim.objects.on(day)
        .filter(street_office_id=street_office_id)
        .select_related("pair", "pair__community")
        .order_by("pair_id")
    )
    by_pair: dict[int, list[int]] = {}
    pairs = {}
    for c in claims:
        by_pair.setdefault(c.pair_id, []).append(c.segment_id)
        pairs[c.pair_id] = c.pair
    members = dict(
        PairMember.objects.on(day)
        .filter(pair_id__in=list(by_pair))
        .values_list("pair_id")
        .annotate(n=Count("id"))
    )
    segs = {
        s.id: s
        for s in load_segs(Segment.objects.filter(pk__in=[i for v in by_pair.values() for i in v]))
    }
    out = []
    for pair_id, seg_ids in by_pair.items():
        mine = [segs[i] for i in seg_ids]
        pieces = len(components(seg_ids, adjacency(mine)))
        length = sum(s.length_m for s in mine)
        pair = pairs[pair_id]
        out.append(
            {
                "pair": pair_id,
                "name": pair.name,
                "community": pair.community.name,
                "length_m": round(length, 1),
                "segments": len(seg_ids),
                "pieces": pieces,
                "overlong": length > limit,
                "fragmented": pieces > 1,
                "members": members.get(pair_id, 0),
                # A member resigned or was dismissed: the pair cannot patrol two-by-two any more.
                "incomplete": members.get(pair_id, 0) < programme.pair_size,
            }
        )
    return out


def coverage(street_office_id: int, day: dt.date | None = None) -> dict[str, Any]:
    day = day or local_today()
    unassigned = (
        Segment.objects.valid_on(day)
        .filter(street_office_id=street_office_id)
        .exclude(Exists(Claim.objects.on(day).filter(segment_id=OuterRef("pk"))))
        .order_by("id")
        .values_list("id", flat=True)
    )
    return {
        "day": day.isoformat(),
        "communities": _levels(street_office_id, day, "community"),
        "grids": _levels(street_office_id, day, "grid"),
        "pairs": pair_checks(street_office_id, day),
        "unassigned_segment_ids": list(unassigned),
        "max_pair_length_m": ProgrammeSettings.for_office(street_office_id).max_pair_length_m,
    }


def coverage_features(street_office_id: int, day: dt.date | None = None) -> dict[str, Any]:
    """GeoJSON of the office's segments with their planning status, for the coverage map."""

    from django.contrib.gis.db.models.functions import AsGeoJSON

    day = day or local_today()
    checks = {p["pair"]: p for p in pair_checks(street_office_id, day)}
    holders = dict(
        Claim.objects.on(day)
        .filter(street_office_id=street_office_id)
        .values_list("segment_id", "pair_id")
    )
    features = []
    rows = (
        Segment.objects.valid_on(day)
        .filter(street_office_id=street_office_id)
        .annotate(gj=AsGeoJSON("geom", precision=6))
    )
    for s in rows.values("id", "name", "length_m", "gj").order_by("id"):
        pair = checks.get(holders.get(s["id"]))
        if pair is None:
            state = "unassigned"
        elif pair["overlong"]:
            state = "overlong"
        elif pair["fragmented"]:
            state = "fragmented"
        else:
            state = "assigned"
        features.append(
            feature(
                s["gj"],
                {
                    "id": s["id"],
                    "name": s["name"],
                    "state": state,
                    "pair": pair["name"] if pair else "",
                },
            )
        )
    return feature_collection(features)
