"""Tiny fixtures for the credits tests: one office near Wudaokou, two communities, stewards."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import User
from django.contrib.gis.geos import MultiPolygon, Polygon

from credits.models import CreditSupermarket
from geo.models import Community, Membership, StreetOffice
from stewards.models import Pair, PairMember, Steward


def square(x: float, y: float, d: float = 0.01) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((x, y, x + d, y + d)), srid=4326)


def office(code: str = "WDK") -> StreetOffice:
    return StreetOffice.objects.create(
        name=f"{code}街道", code=code, geom=square(116.30, 39.99, 0.05)
    )


def community(so: StreetOffice, code: str = "C1", name: str = "华清社区") -> Community:
    return Community.objects.create(
        street_office=so, name=name, code=code, geom=square(116.31, 40.00)
    )


def steward(comm: Community, name: str, username: str | None = None) -> Steward:
    user = None
    if username:
        user = User.objects.create_user(username)
        Membership.objects.create(
            user=user, street_office=comm.street_office, role="steward", community=comm
        )
    return Steward.objects.create(
        street_office=comm.street_office, community=comm, name=name, user=user, status="active"
    )


def pair(comm: Community, a: Steward, b: Steward, formed: date = date(2026, 1, 1)) -> Pair:
    p = Pair.objects.create(
        street_office=comm.street_office,
        community=comm,
        name=f"{a.name}{b.name}组",
        formed_on=formed,
    )
    PairMember.objects.create(pair=p, steward=a, joined_on=formed)
    PairMember.objects.create(pair=p, steward=b, joined_on=formed)
    return p


def staff(so: StreetOffice, username: str, role: str = "planner") -> User:
    user = User.objects.create_user(username)
    Membership.objects.create(user=user, street_office=so, role=role)
    return user


def supermarket(comm: Community, name: str = "红色积分超市") -> CreditSupermarket:
    return CreditSupermarket.objects.create(community=comm, name=name, address="成府路 1 号")
