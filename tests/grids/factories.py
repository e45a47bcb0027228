"""Tiny fixtures near 116.31,40.00: street offices, a lattice of alley segments, stewards and pairs.

A lattice of nx × ny nodes, step 0.001° (≈85 m east-west, ≈111 m north-south):

    o---o---o
    |   |   |
    o---o---o        horizontal and vertical segments between neighbouring nodes
"""

from __future__ import annotations

import datetime as dt
import itertools
import math

from django.contrib.auth.models import User
from django.contrib.gis.geos import LineString, MultiPolygon, Polygon

from geo.models import Community, Grid, Membership, Segment, StreetOffice
from grids import assignment
from stewards import idcard, registry
from stewards.models import Pair, Steward

_seq = itertools.count(1)
X0, Y0, STEP = 116.31, 40.00, 0.001


def square(x0: float, y0: float, size: float) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((x0, y0, x0 + size, y0 + size)), srid=4326)


def office(code: str | None = None, *, x0: float = X0) -> StreetOffice:
    code = code or f"SO{next(_seq)}"
    return StreetOffice.objects.create(
        name=f"街道{code}", code=code, geom=square(x0 - 0.01, Y0 - 0.01, 0.05)
    )


def community(so: StreetOffice, name: str | None = None) -> Community:
    n = next(_seq)
    return Community.objects.create(
        street_office=so, name=name or f"社区{n}", code=f"C{n}", geom=so.geom
    )


def grid(comm: Community, name: str | None = None) -> Grid:
    n = next(_seq)
    return Grid.objects.create(
        community=comm,
        street_office=comm.street_office,
        name=name or f"网格{n}",
        code=f"G{n}",
        geom=comm.geom,
    )


def _length_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat = math.radians((a[1] + b[1]) / 2)
    return math.hypot((b[0] - a[0]) * 111_320 * math.cos(lat), (b[1] - a[1]) * 110_540)


def lattice(
    comm: Community,
    nx: int = 3,
    ny: int = 3,
    *,
    x0: float = X0,
    y0: float = Y0,
    gr: Grid | None = None,
) -> list[Segment]:
    """Horizontal and vertical segments of an nx × ny node lattice, all in ``comm``."""
    tag = next(_seq)
    segs = []
    for i in range(nx):
        for j in range(ny):
            a = (x0 + i * STEP, y0 + j * STEP)
            for b in (
                (x0 + (i + 1) * STEP, a[1]) if i + 1 < nx else None,
                (a[0], y0 + (j + 1) * STEP) if j + 1 < ny else None,
            ):
                if b is None:
                    continue
                segs.append(
                    Segment(
                        name=f"巷{i}-{j}",
                        road_class="residential",
                        source=f"test{tag}",
                        source_id=f"{a}{b}",
                        geom=LineString(a, b, srid=4326),
                        length_m=_length_m(a, b),
                        street_office=comm.street_office,
                        community=comm,
                        grid=gr,
                    )  # fmt: skip
                )
    return Segment.objects.bulk_create(segs)


def user(
    so: StreetOffice, role: str = Membership.Role.PLANNER, username: str | None = None
) -> User:
    u = User.objects.create_user(username or f"u{next(_seq)}", password="pw-123456!")
    Membership.objects.create(user=u, street_office=so, role=role)
    return u


def id_number(seed: int | None = None, birth: dt.date = dt.date(1960, 5, 17)) -> str:
    return idcard.fake(seed if seed is not None else next(_seq), birth)


def steward(
    comm: Community, *, active: bool = True, name: str | None = None, phone: str = "13812345678"
) -> Steward:
    n = next(_seq)
    s = registry.register_steward(
        community=comm,
        id_card=id_number(n),
        name=name or f"管家{n}",
        phone=phone,
        today=dt.date(2025, 1, 1),
    )
    if active:
        registry.advance_to_active(s, on=dt.date(2025, 1, 2))
    return s


def pair(
    comm: Community, *, name: str | None = None, formed_on: dt.date = dt.date(2025, 1, 3)
) -> Pair:
    members = [steward(comm), steward(comm)]
    return registry.form_pair(members, name=name or f"第{next(_seq)}组", formed_on=formed_on)


def board_community() -> tuple[Community, Grid, list[Segment], Pair]:
    """A community with one grid of a 3 × 2 lattice and one pair claiming two of its segments:
    what a responsibility board draws."""
    so = office()
    comm = community(so, name="华清社区")
    g = grid(comm, "华清一网格")
    segs = lattice(comm, 3, 2, gr=g)
    p = pair(comm, name="华清一组")
    assignment.assign(p, [segs[0].pk, segs[1].pk])
    return comm, g, segs, p
