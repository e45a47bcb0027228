"""Who may see and do what with points and assessments.

Office membership comes from ``geo.tenancy``; these helpers add the credit-specific roles:

- a steward sees only their own balance, history and assessment;
- planners and supervisors of a street office see its board, leaderboards and exports;
- planners confirm grades, correct points and change the rules;
- planners and community staff (grid_worker) record redemptions at the credit supermarkets.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from geo.models import Membership
from geo.tenancy import offices_for
from stewards.models import Steward

Role = Membership.Role
BOARD_ROLES = (Role.PLANNER, Role.SUPERVISOR)
CONFIRM_ROLES = (Role.PLANNER,)
REDEEM_ROLES = (Role.PLANNER, Role.GRID_WORKER)


def _credit_offices_for(user: Any, roles: Iterable[str]) -> set[int]:
    """Street offices where ``user`` holds one of ``roles``."""
    return offices_for(user, roles)


def _credit_can(user: Any, office_id: int, roles: Iterable[str]) -> bool:
    return office_id in _credit_offices_for(user, roles)


def _credit_own_steward(user: Any) -> Steward | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Steward.objects.filter(user=user).first()


def _credit_can_see_steward(user: Any, steward: Steward) -> bool:
    """The steward themself, or board staff of their office."""
    own = _credit_own_steward(user)
    return (own is not None and own.pk == steward.pk) or _credit_can(
        user, steward.street_office_id, BOARD_ROLES
    )
