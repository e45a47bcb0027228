"""Demo hazard reports for a street office, driven through the real closed loop.

Stewards report along their streets (background) plus a planted concentration of clutter and
parking reports around one junction, so the hotspot map has something true to find; older reports
have travelled further along the loop (accepted → dispatched → in progress → resolved → verified →
closed) by the real `transition`, with the real roles, so the audit trail and the KPIs are honest.
Idempotent: does nothing when the office already has demo reports.
"""

from __future__ import annotations

import io
from datetime import timedelta

import numpy as np
import shapely
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone
from PIL import Image

from demo.stewards import DEMO_PASSWORD
from geo.models import Membership, StreetOffice
from hazards import closed_loop as hazards
from hazards.models import HazardDepartmentMember, HazardReport
from stewards.models import Steward

S = HazardReport.Status
DEMO_TAG = "demo"


def _photo() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 140, 90)).save(buf, "JPEG")
    return buf.getvalue()


def _staff(
    office: StreetOffice, password: str
) -> tuple[object, dict[int, object], dict[str, object]]:
    users = get_user_model()
    supervisor = Membership.objects.filter(street_office=office, role="supervisor").first().user
    grid_workers = {}
    for community in office.communities.order_by("code"):
        user, created = users.objects.get_or_create(username=f"grid-{community.code.lower()}")
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(
            user=user, street_office=office, role="grid_worker", defaults={"community": community}
        )
        grid_workers[community.pk] = user
    departments = {}
    hazards.ensure_default_categories(office)
    names = sorted(set(office.hazard_categories.values_list("department", flat=True)))
    for k, name in enumerate(names, start=1):
        slug = f"dept{k}"
        user, created = users.objects.get_or_create(username=slug)
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        HazardDepartmentMember.objects.get_or_create(
            street_office=office, department=name, user=user
        )
        departments[name] = user
    return supervisor, grid_workers, departments


def seed_demo_reports(
    office: StreetOffice,
    *,
    n: int = 160,
    days: int = 60,
    seed: int = 11,
    password: str = DEMO_PASSWORD,
) -> int:
    """Create `n` demo reports over the last `days` days; returns how many were created."""
    if HazardReport.objects.filter(street_office=office, external_id__startswith=DEMO_TAG).exists():
        return 0
    rng = np.random.default_rng(seed)
    supervisor, grid_workers, departments = _staff(office, password)
    categories = {c.code: c for c in office.hazard_categories.all()}
    stewards = list(Steward.objects.filter(street_office=office, user__isnull=False).order_by("pk"))
    lines = np.array(
        [
            shapely.from_wkb(bytes(g.wkb))
            for g in office.segments.current().values_list("geom", flat=True)
        ]
    )
    lengths = shapely.length(lines)
    # The planted concentration sits on the street nearest the office's centre, a few blocks wide.
    centre = shapely.from_wkb(bytes(office.geom.centroid.wkb))
    hub = shapely.line_interpolate_point(
        lines[int(np.argmin(shapely.distance(lines, centre)))], 0.5, normalized=True
    )
    photo = _photo()
    now = timezone.now()
    codes = list(categories)
    created = 0
    with transaction.atomic():
        for i in range(n):
            if i % 5 < 2:  # the planted concentration: clutter and parking round one junction
                category = categories["clutter" if i % 2 else "parking"]
                dx, dy = rng.normal(0, 0.0012, 2)
                point = Point(hub.x + dx, hub.y + dy * 0.77, srid=4326)
            else:
                category = categories[codes[int(rng.integers(len(codes)))]]
                line = lines[int(rng.choice(len(lines), p=lengths / lengths.sum()))]
                p = shapely.line_interpolate_point(line, float(rng.uniform()), normalized=True)
                point = Point(p.x, p.y, srid=4326)
            steward = stewards[int(rng.integers(len(stewards)))]
            when = now - timedelta(days=float(rng.uniform(0, days)))
            try:
                report = hazards.create_report(
                    category=category,
                    point=point,
                    description=f"{category.name}（演示）",
                    reporter_kind="steward",
                    reporter=steward.user,
                    created_at=when,
                    external_id=f"{DEMO_TAG}-{i}",
                )
            except hazards.TransitionInvalid:
                continue  # a jittered point fell outside the office
            created += 1
            _advance(report, when, rng, supervisor, grid_workers, departments, photo, steward.user)
    return created


def _advance(report, when, rng, supervisor, grid_workers, departments, photo, reporter) -> None:
    """Move a report along the loop as far as its age allows, with plausible delays."""
    age_h = (timezone.now() - when).total_seconds() / 3600
    grid_worker = grid_workers.get(report.community_id, supervisor)
    department = departments.get(report.department)
    t = when
    steps = [
        (S.ACCEPTED, grid_worker, {}),
        (S.DISPATCHED, grid_worker, {}),
        (S.IN_PROGRESS, department, {}),
        (S.RESOLVED, department, {"after_photo": photo}),
        (S.VERIFIED, grid_worker, {}),
        (S.CLOSED, supervisor, {}),
    ]
    if rng.uniform() < 0.06:
        steps = [(S.REJECTED, grid_worker, {"note": "不属于本街道职责（演示）"})]
    for to, actor, extra in steps:
        t = t + timedelta(hours=float(rng.gamma(2.0, 6.0)))
        if (t - when).total_seconds() / 3600 > age_h or actor is None:
            return
        report = hazards.transition(report, to, actor, now=t, **extra)
    if report.status == S.CLOSED and rng.uniform() < 0.7:
        hazards.rate(report, reporter, int(rng.choice([3, 4, 5, 5, 5])))
