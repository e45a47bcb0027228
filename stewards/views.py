"""Pages: the steward registry (管家名册) of a street office, with sheet import and pair formation."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from geo.models import StreetOffice
from geo.tenancy import STAFF_ROLES, WRITE_ROLES, offices_for
from stewards.models import PairMember, ProgrammeSettings, Steward


@login_required
def registry_page(request: HttpRequest, street_office: int) -> HttpResponse:
    """管家名册: the registry of one street office, sheet import and pair formation."""
    if street_office not in offices_for(request.user, STAFF_ROLES):
        raise Http404
    office = get_object_or_404(StreetOffice, pk=street_office)
    current = PairMember.objects.filter(steward=OuterRef("pk"), left_on__isnull=True).values(
        "pair__name"
    )[:1]
    stewards = (
        Steward.objects.filter(street_office=office)
        .select_related("community")
        .annotate(current_pair=Subquery(current))
        .order_by("community__name", "status", "name")
    )
    return render(
        request,
        "stewards/registry.html",
        {
            "title": _("小巷管家名册 · %(name)s") % {"name": office.name},
            "office": office,
            "stewards": stewards,
            "can_write": office.pk in offices_for(request.user, WRITE_ROLES),
            "pair_size": ProgrammeSettings.for_office(office.pk).pair_size,
        },
    )
