""" "My tasks": the cases waiting for this person's next act, overdue first.

A case waits on one party at each step of the loop (closed_loop.TRANSITIONS): the grid worker
files and dispatches it and checks the rectification, the department takes it on and rectifies
it, the supervisor closes verified cases and chases overdue ones (督办). Supervisors may also do
the grid worker's steps, but those are not their tasks: the list says what is waiting on you.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import BooleanField, Case, F, Q, QuerySet, Value, When
from django.utils import timezone

from geo.models import Membership
from hazards.closed_loop import PENDING_STATUSES, User
from hazards.models import HazardDepartmentMember, HazardReport

S = HazardReport.Status
R = Membership.Role
GRID_WORKER_STEPS = frozenset({S.REPORTED, S.ACCEPTED, S.RETURNED, S.RESOLVED})
DEPARTMENT_STEPS = frozenset({S.DISPATCHED, S.IN_PROGRESS, S.POSTPONED})
SUPERVISOR_STEPS = frozenset({S.VERIFIED})


def _waiting_on(user: User, now: datetime) -> Q:
    """One Q over every office role and department of the user (two small queries)."""
    q = Q(pk__in=[])
    memberships = Membership.objects.filter(user=user).values_list(
        "street_office_id", "role", "community_id"
    )
    for office_id, role, community_id in memberships:
        if role == R.GRID_WORKER:
            part = Q(street_office_id=office_id, status__in=GRID_WORKER_STEPS)
            if community_id:  # a community's grid worker; none means the whole office
                part &= Q(community_id=community_id)
            q |= part
        elif role == R.SUPERVISOR:
            overdue = Q(status__in=PENDING_STATUSES, deadline_at__lt=now)
            q |= Q(street_office_id=office_id) & (Q(status__in=SUPERVISOR_STEPS) | overdue)
    for office_id, department in HazardDepartmentMember.objects.filter(user=user).values_list(
        "street_office_id", "department"
    ):
        q |= Q(street_office_id=office_id, department=department, status__in=DEPARTMENT_STEPS)
    return q


def tasks_for(user: User, now: datetime | None = None) -> QuerySet[HazardReport]:
    """Cases waiting on `user`, overdue first, then by deadline, then oldest first."""
    if not user.is_authenticated:
        return HazardReport.objects.none()
    now = now or timezone.now()
    return (
        HazardReport.objects.filter(_waiting_on(user, now))
        .annotate(
            is_overdue=Case(
                When(status__in=PENDING_STATUSES, deadline_at__lt=now, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .select_related("category", "community", "grid")
        .order_by("-is_overdue", F("deadline_at").asc(nulls_last=True), "created_at", "id")
    )
