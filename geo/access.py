"""Which street office a supervisor page or API call is about, from the user's memberships."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _

from geo.models import Membership, StreetOffice

SUPERVISING_ROLES = (
    Membership.Role.PLANNER,
    Membership.Role.SUPERVISOR,
    Membership.Role.GRID_WORKER,
)


def supervised_office(request: HttpRequest, *, only: tuple[str, ...] = ()) -> StreetOffice:
    """The office named by ?office=<code> (or the user's only one) that the user may supervise.
    `only`: load just these fields (a map tile needs the id, not the boundary polygon)."""
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied(_("请先登录"))
    code = request.GET.get("office") or request.POST.get("office")
    # The memberships as a subquery: one round trip with the office, not two (per map tile).
    mine = Membership.objects.filter(user=user, role__in=list(SUPERVISING_ROLES))
    offices = StreetOffice.objects.filter(pk__in=mine.values("street_office_id"))
    if only:
        offices = offices.only(*only, "code")
    if code:
        office = offices.filter(code=code).first()
        if office is None:
            raise PermissionDenied(_("您没有查看街道 %(code)s 的权限") % {"code": code})
        return office
    office = offices.order_by("code").first()
    if office is None:
        raise PermissionDenied(_("您不是任何街道的督查员或规划员"))
    return office
