"""Who may record for whom and who may read a recording (office scoping from geo.tenancy)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from geo.tenancy import offices_for
from patrols.tracks.access import SEE_ALL_ROLES, UPLOAD_FOR_OTHERS_ROLES
from recorder.models import Recording
from stewards.models import Steward


def can_record_for(user, steward: Steward) -> bool:
    """The steward themself, or a planner/supervisor of the steward's office walking along.

    Unlike a file upload, a partner may not record for a partner: one phone is one person.
    """
    if not user.is_authenticated:
        return False
    return steward.user_id == user.id or steward.street_office_id in offices_for(
        user, UPLOAD_FOR_OTHERS_ROLES
    )


def visible_recordings(user) -> QuerySet[Recording]:
    """Own recordings (as steward or as the account that recorded) and the office's for supervisors."""
    if not user.is_authenticated:
        return Recording.objects.none()
    return Recording.objects.filter(
        Q(steward__user=user)
        | Q(uploaded_by=user)
        | Q(street_office_id__in=offices_for(user, SEE_ALL_ROLES))
    )
