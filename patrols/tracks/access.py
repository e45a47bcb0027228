"""Who may upload and see raw GPS tracks (office scoping comes from geo.tenancy).

- A steward uploads their own tracks, or their current partner's (one phone died, the other
  uploads both); planners and supervisors of the steward's street office upload on their behalf.
- A steward sees their own tracks; supervisors of the street office see all of its tracks;
  nobody else, superusers included (raw tracks reveal where people live and walk: never public).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from geo.models import Membership
from geo.tenancy import offices_for
from patrols.models import Track, TrackUpload
from stewards.models import PairMember, Steward

UPLOAD_FOR_OTHERS_ROLES = (Membership.Role.PLANNER, Membership.Role.SUPERVISOR)
SEE_ALL_ROLES = (Membership.Role.SUPERVISOR,)


def can_upload_for(user, steward: Steward) -> bool:
    if not user.is_authenticated:
        return False
    if steward.user_id == user.id:
        return True
    if steward.street_office_id in offices_for(user, UPLOAD_FOR_OTHERS_ROLES):
        return True
    partner_pairs = PairMember.objects.filter(steward__user=user, left_on__isnull=True).values(
        "pair_id"
    )
    return PairMember.objects.filter(
        pair_id__in=partner_pairs, steward=steward, left_on__isnull=True
    ).exists()


def _own_or_supervised(user, user_field: str) -> Q:
    """The one visibility rule: the steward's own user, or a supervisor of the street office."""
    return Q(**{user_field: user}) | Q(street_office_id__in=offices_for(user, SEE_ALL_ROLES))


def visible_tracks(user) -> QuerySet[Track]:
    if not user.is_authenticated:
        return Track.objects.none()
    return Track.objects.filter(_own_or_supervised(user, "steward__user"))


def visible_uploads(user) -> QuerySet[TrackUpload]:
    """Upload records (file name, counts) follow the tracks' rule: self and office supervisors."""
    if not user.is_authenticated:
        return TrackUpload.objects.none()
    return TrackUpload.objects.filter(_own_or_supervised(user, "steward__user"))


def visible_stewards(user, steward_ids: list[int]) -> list[int]:
    """Of these stewards, those whose raw tracks the user may see (same rule as above)."""
    if not user.is_authenticated or not steward_ids:
        return []
    return list(
        Steward.objects.filter(_own_or_supervised(user, "user"), id__in=steward_ids)
        .order_by("id")
        .values_list("id", flat=True)
    )
