"""A tiny street office near 116.31,40.00: two communities side by side, one grid each.

    116.300      116.310      116.320
40.010 +------------+------------+
       |  comm A    |  comm B    |
       |  grid A1   |  grid B1   |
40.000 +------------+------------+
"""

from __future__ import annotations

import io
import itertools

from django.contrib.auth.models import User
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from PIL import Image

from geo.models import Community, Grid, Membership, StreetOffice
from hazards.closed_loop import ensure_default_categories
from hazards.models import HazardDepartmentMember

_seq = itertools.count(1)


def box(x0: float, y0: float, x1: float, y1: float) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((x0, y0, x1, y1)), srid=4326)


def make_office(code: str = "T1", x0: float = 116.30) -> StreetOffice:
    office = StreetOffice.objects.create(
        name=f"测试街道{code}", code=code, geom=box(x0, 40.0, x0 + 0.02, 40.01)
    )
    for i, name in enumerate("AB"):
        c = Community.objects.create(
            street_office=office,
            name=f"社区{name}",
            code=f"{code}{name}",
            geom=box(x0 + 0.01 * i, 40.0, x0 + 0.01 * (i + 1), 40.01),
        )
        Grid.objects.create(
            street_office=office,
            community=c,
            name=f"网格{name}1",
            code=f"{code}{name}1",
            geom=c.geom,
        )
    ensure_default_categories(office)
    return office


def user(role: str | None, office: StreetOffice, community: str | None = None) -> User:
    u = User.objects.create_user(f"u{next(_seq)}")  # no password: hashing is slow and unused
    if role == "department":
        HazardDepartmentMember.objects.create(street_office=office, department="应急管理", user=u)
    elif role:
        comm = office.communities.get(code=f"{office.code}{community}") if community else None
        Membership.objects.create(user=u, street_office=office, role=role, community=comm)
    return u


def pt(x: float, y: float) -> Point:
    return Point(x, y, srid=4326)


def jpeg_with_exif(size=(40, 20), orientation: int = 6, gps: bool = True) -> bytes:
    """A JPEG whose pixels are stored landscape with Orientation=6 (rotate 90° CW to view)."""
    img = Image.new("RGB", size, (200, 30, 30))
    img.paste((30, 30, 200), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    if gps:
        exif[0x8825] = {1: "N", 2: (40.0, 0.0, 12.0), 3: "E", 4: (116.0, 18.0, 36.0)}
    exif.get_ifd(0x8769)[0x9003] = "2026:11:20 09:30:00"
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif)
    return buf.getvalue()
