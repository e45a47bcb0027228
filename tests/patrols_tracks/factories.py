"""Tiny fixtures for track tests: a street office around Wudaokou (116.31, 40.00), stewards, pairs."""

from __future__ import annotations

import itertools
from datetime import date

from django.contrib.auth.models import User
from django.contrib.gis.geos import LineString, MultiPolygon, Polygon

from geo.models import Community, Membership, Segment, StreetOffice
from grids.models import Claim
from stewards.models import Pair, PairMember, Steward

_seq = itertools.count(1)


def box(minx: float, miny: float, maxx: float, maxy: float) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((minx, miny, maxx, maxy)), srid=4326)


WUDAOKOU = (116.29, 39.98, 116.37, 40.03)
WORLD = (-179.0, -80.0, 179.0, 80.0)


def office(
    bbox: tuple[float, float, float, float] = WUDAOKOU, name: str = "五道口街道"
) -> StreetOffice:
    n = next(_seq)
    return StreetOffice.objects.create(name=name, code=f"SO{n}", geom=box(*bbox))


def community(so: StreetOffice) -> Community:
    n = next(_seq)
    return Community.objects.create(name=f"社区{n}", code=f"C{n}", geom=so.geom, street_office=so)


def user(name: str | None = None) -> User:
    return User.objects.create_user(name or f"user{next(_seq)}", password="pw-123456")


def steward(so: StreetOffice, *, with_user: bool = True, name: str | None = None) -> Steward:
    c = so.communities.first() or community(so)
    u = user() if with_user else None
    s = Steward.objects.create(
        street_office=so, community=c, user=u, name=name or f"管家{next(_seq)}"
    )
    if u is not None:
        Membership.objects.create(user=u, street_office=so, role=Membership.Role.STEWARD)
    return s


def pair(a: Steward, b: Steward) -> Pair:
    p = Pair.objects.create(
        street_office=a.street_office,
        community=a.community,
        name=f"组{next(_seq)}",
        formed_on=date(2024, 1, 1),
    )
    for s in (a, b):
        PairMember.objects.create(pair=p, steward=s, joined_on=date(2024, 1, 1))
    return p


def staff(so: StreetOffice, role: str) -> User:
    u = user()
    Membership.objects.create(user=u, street_office=so, role=role)
    return u


def claimed_alleys(pair: Pair, lines: list) -> list[Segment]:
    """Alleys along these lines (lists of lon/lat pairs), claimed by the pair since 2024-01-01."""
    segments = []
    for i, line in enumerate(lines):
        seg = Segment.objects.create(
            name=f"巷{i}",
            road_class="living_street",
            source="t",
            source_id=f"{pair.pk}-{i}",
            geom=LineString(line, srid=4326),
            length_m=0,
            street_office=pair.street_office,
        )
        Claim.objects.create(
            street_office=pair.street_office, pair=pair, segment=seg, valid_from=date(2024, 1, 1)
        )
        segments.append(seg)
    return segments
