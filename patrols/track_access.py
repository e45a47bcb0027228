"""Who may upload and see tracks. Private stand-in for geo/tenancy.py (swap at merge).

- A steward uploads their own tracks, or their current partner's (one phone died, the other
  uploads both); planners and supervisors of the steward's street office upload on their behalf.
- A steward sees their own tracks; supervisors of the street office see all of its tracks;
  nobody else (raw tracks reveal where people live and walk: never on public maps).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from geo.models import Membership
from patrols.models import PairMember, Steward, Track


def _offices(user, roles: tuple[str, ...]) -> QuerySet:
    return Membership.objects.filter(user=user, role__in=roles).values("street_office_id")


def track_access_can_upload_for(user, steward: Steward) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser or steward.user_id == user.id:
        return True
    if Membership.objects.filter(
        user=user, street_office_id=steward.street_office_id, role__in=("planner", "supervisor")
    ).exists():
        return True
    partner_pairs = PairMember.objects.filter(steward__user=user, left_on__isnull=True).values(
        "pair_id"
    )
    return PairMember.objects.filter(
        pair_id__in=partner_pairs, steward=steward, left_on__isnull=True
    ).exists()


def track_access_visible_tracks(user) -> QuerySet[Track]:
    if not user.is_authenticated:
        return Track.objects.none()
    if user.is_superuser:
        return Track.objects.all()
    return Track.objects.filter(
        Q(steward__user=user) | Q(street_office_id__in=_offices(user, ("supervisor",)))
    )
