"""The hazard-report closed loop (群众点单、网格报单、社区派单、部门接单、督办消单).

reported → accepted (立案) → dispatched (派遣) → in_progress → resolved (after-photo) → verified (核查)
→ closed; side paths rejected, duplicate, returned (退回), postponed (延期, approved by a supervisor).
Each transition is allowed to named roles only and writes one HazardEvent (who, when, note).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geo.models import Grid, Membership, StreetOffice
from geo.tenancy import offices_for
from hazards.models import (
    HazardCategory,
    HazardDepartmentMember,
    HazardEvent,
    HazardPhoto,
    HazardReport,
)
from hazards.photos import process_photo

S = HazardReport.Status
R = Membership.Role
DEPARTMENT = "department"  # pseudo-role: a HazardDepartmentMember of the report's department
REPORTER = "reporter"  # pseudo-role: the user who reported

# Default taxonomy from the seeds; each street office gets a copy it may edit.
# (code, name, department, speed, deadline hours, duplicate radius m)
DEFAULT_CATEGORIES: list[tuple[str, str, str, str, int, int]] = [
    ("safety", "安全隐患", "应急管理", "immediate", 24, 30),
    ("illegal-construction", "私搭乱建", "城管执法", "timed", 240, 30),
    ("clutter", "杂物乱堆/环境卫生", "环卫", "timed", 72, 50),
    ("parking", "车辆乱停", "交通管理", "immediate", 24, 80),
    ("wiring", "私拉电线", "应急管理", "immediate", 24, 30),
    ("infrastructure", "基础设施破损", "市政", "timed", 168, 50),
    ("dispute", "矛盾纠纷", "社区调解", "timed", 168, 20),
    ("other", "其他", "社区", "timed", 168, 30),
]

# (from, to) -> roles allowed. Grid workers act only inside their own community.
TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (S.REPORTED, S.ACCEPTED): frozenset({R.GRID_WORKER, R.SUPERVISOR}),
    (S.REPORTED, S.REJECTED): frozenset({R.GRID_WORKER, R.SUPERVISOR}),
    (S.REPORTED, S.DUPLICATE): frozenset({R.GRID_WORKER, R.SUPERVISOR}),
    (S.ACCEPTED, S.DUPLICATE): frozenset({R.GRID_WORKER, R.SUPERVISOR}),
    (S.ACCEPTED, S.DISPATCHED): frozenset({R.GRID_WORKER, R.SUPERVISOR}),
    (S.RETURNED, S.DISPATCHED): frozenset({R.GRID_WORKER, R.SUPERVISOR}),
    (S.DISPATCHED, S.IN_PROGRESS): frozenset({DEPARTMENT}),
    (S.DISPATCHED, S.RETURNED): frozenset({DEPARTMENT}),
    (S.IN_PROGRESS, S.RESOLVED): frozenset({DEPARTMENT}),
    (S.IN_PROGRESS, S.POSTPONED): frozenset({R.SUPERVISOR}),
    (S.POSTPONED, S.IN_PROGRESS): frozenset({DEPARTMENT}),
    (S.RESOLVED, S.VERIFIED): frozenset({R.GRID_WORKER}),
    (S.RESOLVED, S.IN_PROGRESS): frozenset({R.GRID_WORKER}),
    (S.VERIFIED, S.CLOSED): frozenset({R.SUPERVISOR}),
}
# Button labels: the act, not the resulting state (their msgids differ from the status labels so
# the English can say "Accept" where the status says "Accepted").
ACTION_LABELS: dict[str, str] = {
    S.ACCEPTED: gettext_lazy("受理立案"),
    S.REJECTED: gettext_lazy("驳回上报"),
    S.DUPLICATE: gettext_lazy("标为重复"),
    S.DISPATCHED: gettext_lazy("派单"),
    S.IN_PROGRESS: gettext_lazy("接单处置"),
    S.RETURNED: gettext_lazy("退回（非本部门职责）"),
    S.RESOLVED: gettext_lazy("整改完成（附整改照片）"),
    S.POSTPONED: gettext_lazy("批准延期"),
    S.VERIFIED: gettext_lazy("核查通过"),
    S.CLOSED: gettext_lazy("结案"),
}
# Sending a resolved case back is the same transition as taking one on, but a different act.
REOPEN_LABEL = gettext_lazy("核查不通过，退回整改")


def action_label(from_status: str, to: str) -> str:
    if from_status == S.RESOLVED and to == S.IN_PROGRESS:
        return str(REOPEN_LABEL)
    return str(ACTION_LABELS[to])


OPEN_STATUSES = frozenset(
    {S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.RETURNED, S.POSTPONED, S.RESOLVED}
)
# Still owed work against the deadline (resolved-but-unverified counts as done on time).
PENDING_STATUSES = frozenset({S.ACCEPTED, S.DISPATCHED, S.IN_PROGRESS, S.RETURNED, S.POSTPONED})


class TransitionDenied(PermissionError):
    pass


class TransitionInvalid(ValueError):
    pass


User = AbstractBaseUser | AnonymousUser


# --- role check: swap for geo.tenancy at merge -------------------------------------------------
def _hazard_office_ids(user: User) -> set[int]:
    """Street offices whose hazard reports this user may see: any membership, or a department's."""
    if not user.is_authenticated:
        return set()
    ids = offices_for(user)
    ids |= set(
        HazardDepartmentMember.objects.filter(user=user).values_list("street_office_id", flat=True)
    )
    return ids


def _hazard_roles(user: User, report: HazardReport) -> set[str]:
    """The roles `user` holds with respect to this report (see TRANSITIONS)."""
    if not user.is_authenticated:
        return set()
    roles: set[str] = set()
    for role, community_id in Membership.objects.filter(
        user=user, street_office_id=report.street_office_id
    ).values_list("role", "community_id"):
        if role == R.GRID_WORKER and community_id and community_id != report.community_id:
            continue
        roles.add(role)
    if (
        report.department
        and HazardDepartmentMember.objects.filter(
            user=user, street_office_id=report.street_office_id, department=report.department
        ).exists()
    ):
        roles.add(DEPARTMENT)
    if report.reporter_id and report.reporter_id == user.pk:
        roles.add(REPORTER)
    return roles


def user_has_office_role(user: User, office_id: int, roles: set[str]) -> bool:
    return office_id in offices_for(user, roles)


def visible_reports(user: User) -> QuerySet[HazardReport]:
    return HazardReport.objects.filter(street_office_id__in=_hazard_office_ids(user))


# --- categories and location -------------------------------------------------------------------
def ensure_default_categories(office: StreetOffice) -> list[HazardCategory]:
    existing = set(office.hazard_categories.values_list("code", flat=True))
    HazardCategory.objects.bulk_create(
        [
            HazardCategory(
                street_office=office,
                code=code,
                name=name,
                department=dept,
                speed=speed,
                deadline_hours=hours,
                duplicate_radius_m=radius,
            )
            for code, name, dept, speed, hours, radius in DEFAULT_CATEGORIES
            if code not in existing
        ]
    )
    return list(office.hazard_categories.all())


@dataclass
class Placement:
    street_office: StreetOffice | None
    community_id: int | None
    grid_id: int | None


def locate(point: Point) -> Placement:
    """The street office, community and grid a point falls in (one indexed query each at most)."""
    grid = Grid.objects.filter(geom__covers=point).select_related("street_office").first()
    if grid:
        return Placement(grid.street_office, grid.community_id, grid.id)
    office = StreetOffice.objects.filter(geom__covers=point).first()
    community = office.communities.filter(geom__covers=point).first() if office else None
    return Placement(office, community.id if community else None, None)


# --- reporting ---------------------------------------------------------------------------------
def duplicate_candidates(
    category: HazardCategory, point: Point, *, exclude_id: int | None = None
) -> QuerySet[HazardReport]:
    """Open reports of the same category within the category's radius, nearest first."""
    radius = category.duplicate_radius_m
    # dwithin on a 4326 column takes degrees: a generous degree box uses the GiST index, then the
    # exact metre distance on the spheroid decides.
    pad_deg = radius / 111_000 / max(math.cos(math.radians(point.y)), 0.2)
    qs = (
        HazardReport.objects.filter(
            category=category,
            status__in=OPEN_STATUSES,
            location__dwithin=(point, pad_deg),
            location__distance_lte=(point, D(m=radius)),
        )
        .annotate(distance=Distance("location", point))
        .order_by("distance")
    )
    return qs.exclude(id=exclude_id) if exclude_id else qs


def _event(report: HazardReport, old: str, new: str, actor: User | None, role: str, note: str):
    HazardEvent.objects.create(
        report=report,
        from_status=old,
        to_status=new,
        actor=actor if actor and actor.is_authenticated else None,
        actor_role=role,
        note=note,
        at=timezone.now(),
    )


def add_photo(
    report: HazardReport, data: bytes, *, kind: str = HazardPhoto.Kind.REPORT, user: User | None
) -> HazardPhoto:
    processed = process_photo(data, stem=f"hazard{report.pk}_{kind}")
    return HazardPhoto.objects.create(
        report=report,
        kind=kind,
        image=processed.image,
        thumbnail=processed.thumbnail,
        taken_at=processed.taken_at,
        uploaded_by=user if user and user.is_authenticated else None,
    )


@transaction.atomic
def create_report(
    *,
    category: HazardCategory,
    point: Point | None,
    description: str = "",
    reporter_kind: str,
    reporter: User | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    filed_by: User | None = None,
    photos: list[bytes] = (),  # type: ignore[assignment]
    created_at: datetime | None = None,
    source: str = HazardReport.Source.APP,
    external_id: str = "",
    address: str = "",
    location_flag: str = "",
    status: str = S.REPORTED,
) -> HazardReport:
    placement = locate(point) if point is not None else Placement(None, None, None)
    if placement.street_office and placement.street_office.id != category.street_office_id:
        raise TransitionInvalid(_("该位置不在所选类别所属的街道范围内，请检查定位或类别。"))
    report = HazardReport.objects.create(
        street_office_id=category.street_office_id,
        community_id=placement.community_id,
        grid_id=placement.grid_id,
        category=category,
        department=category.department,
        description=description,
        address=address,
        location=point,
        location_flag=location_flag,
        reporter_kind=reporter_kind,
        reporter=reporter if reporter and reporter.is_authenticated else None,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        filed_by=filed_by if filed_by and filed_by.is_authenticated else None,
        created_at=created_at or timezone.now(),
        source=source,
        external_id=external_id,
        status=status,
    )
    actor = filed_by or reporter
    role = "filed_by" if filed_by else reporter_kind
    _event(report, "", report.status, actor, role, _("上报"))
    for data in photos:
        add_photo(report, data, user=actor)
    return report


def move_pin(report: HazardReport, point: Point, actor: User) -> HazardReport:
    roles = _hazard_roles(actor, report)
    if not roles & {REPORTER, R.GRID_WORKER, R.SUPERVISOR}:
        raise TransitionDenied(_("只有上报人、网格员或督查员可以调整位置。"))
    if report.status not in OPEN_STATUSES:
        raise TransitionInvalid(_("已办结的上报不能再调整位置。"))
    placement = locate(point)
    if placement.street_office is None or placement.street_office.id != report.street_office_id:
        raise TransitionInvalid(_("新位置不在本街道范围内。"))
    report.location = point
    report.community_id = placement.community_id
    report.grid_id = placement.grid_id
    report.location_flag = ""
    report.save(update_fields=["location", "community", "grid", "location_flag", "updated_at"])
    _event(report, report.status, report.status, actor, sorted(roles)[0], _("调整位置"))
    return report


# --- the loop ----------------------------------------------------------------------------------
def allowed_transitions(report: HazardReport, user: User) -> list[str]:
    roles = _hazard_roles(user, report)
    return [to for (frm, to), who in TRANSITIONS.items() if frm == report.status and who & roles]


def allowed_transitions_bulk(reports: list[HazardReport], user: User) -> dict[int, list[str]]:
    """allowed_transitions for many reports with two queries in all (for list pages)."""
    if not user.is_authenticated:
        return {r.pk: [] for r in reports}
    members = list(
        Membership.objects.filter(user=user).values_list("street_office_id", "role", "community_id")
    )
    depts = set(
        HazardDepartmentMember.objects.filter(user=user).values_list(
            "street_office_id", "department"
        )
    )
    out: dict[int, list[str]] = {}
    for r in reports:
        roles = {
            role
            for office_id, role, community_id in members
            if office_id == r.street_office_id
            and not (role == R.GRID_WORKER and community_id and community_id != r.community_id)
        }
        if (r.street_office_id, r.department) in depts:
            roles.add(DEPARTMENT)
        if r.reporter_id == user.pk:
            roles.add(REPORTER)
        out[r.pk] = [
            to for (frm, to), who in TRANSITIONS.items() if frm == r.status and who & roles
        ]
    return out


@transaction.atomic
def transition(
    report: HazardReport,
    to: str,
    actor: User,
    *,
    note: str = "",
    duplicate_of: HazardReport | None = None,
    after_photo: bytes | None = None,
    new_deadline: datetime | None = None,
    department: str | None = None,
    now: datetime | None = None,
) -> HazardReport:
    now = now or timezone.now()
    old = report.status
    allowed = TRANSITIONS.get((old, to))
    if allowed is None:
        raise TransitionInvalid(
            _("不能从“%(a)s”直接变为“%(b)s”。") % {"a": S(old).label, "b": S(to).label}
            if to in S.values
            else _("未知状态：%s") % to
        )
    roles = _hazard_roles(actor, report) & allowed
    if not roles:
        raise TransitionDenied(_("您没有权限执行此操作（需要：%s）。") % "、".join(sorted(allowed)))
    fields = {"status": to}
    if to in (S.REJECTED, S.RETURNED, S.POSTPONED) and not note.strip():
        raise TransitionInvalid(_("请填写原因说明。"))
    if to == S.DUPLICATE:
        if duplicate_of is None or duplicate_of.pk == report.pk:
            raise TransitionInvalid(_("请指定与之重复的原上报编号。"))
        if duplicate_of.street_office_id != report.street_office_id:
            raise TransitionInvalid(_("原上报不属于同一街道。"))
        fields["duplicate_of"] = duplicate_of
        note = note or _("与 #%d 重复") % duplicate_of.pk
    if to in (S.ACCEPTED, S.REJECTED, S.DUPLICATE) and report.responded_at is None:
        fields["responded_at"] = now
    if to == S.ACCEPTED:
        fields["accepted_at"] = now
        fields["deadline_at"] = now + timedelta(hours=report.category.deadline_hours)
    if to == S.DISPATCHED and department:
        fields["department"] = department
    if to == S.POSTPONED:
        if new_deadline is None or (report.deadline_at and new_deadline <= report.deadline_at):
            raise TransitionInvalid(_("延期须指定晚于原期限的新办结期限。"))
        fields["deadline_at"] = new_deadline
        note = f"{note}（{_('新期限')} {timezone.localtime(new_deadline):%Y-%m-%d %H:%M}）"
    if to == S.RESOLVED:
        if not after_photo:
            raise TransitionInvalid(_("办结须上传整改后的照片。"))
        fields["resolved_at"] = now
    if to == S.VERIFIED:
        fields["verified_at"] = now
    if to == S.CLOSED:
        fields["closed_at"] = now
    # Conditional update: two people acting at once cannot both move the report from `old`.
    changed = HazardReport.objects.filter(pk=report.pk, status=old).update(updated_at=now, **fields)
    if changed != 1:
        raise TransitionInvalid(_("该上报已被他人处理，请刷新后重试。"))
    if after_photo:
        add_photo(report, after_photo, kind=HazardPhoto.Kind.AFTER, user=actor)
    _event(report, old, to, actor, sorted(roles)[0], note)
    report.refresh_from_db()
    return report


def rate(report: HazardReport, user: User, stars: int, comment: str = "") -> HazardReport:
    if REPORTER not in _hazard_roles(user, report):
        raise TransitionDenied(_("只有上报人可以评价。"))
    if report.status not in (S.CLOSED, S.VERIFIED):
        raise TransitionInvalid(_("办结核查后才能评价。"))
    if not 1 <= int(stars) <= 5:
        raise TransitionInvalid(_("评分须为 1 到 5 星。"))
    report.rating = int(stars)
    report.rating_comment = comment[:300]
    report.save(update_fields=["rating", "rating_comment", "updated_at"])
    _event(report, report.status, report.status, user, REPORTER, _("评价 %d 星") % int(stars))
    return report


def overdue(qs: QuerySet[HazardReport], now: datetime | None = None) -> QuerySet[HazardReport]:
    """Reports still owed work whose deadline has passed, most overdue first."""
    return qs.filter(status__in=PENDING_STATUSES, deadline_at__lt=now or timezone.now()).order_by(
        "deadline_at"
    )
