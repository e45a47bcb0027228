"""Hazard photos are public: they go out as Open311 ``media_url`` to any client and show on the
public report pages. Only this folder of MEDIA is served (raw GPS files never are, see
patrols.api.tracks.TrackOriginalView), whatever DEBUG says."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.static import serve


def hazard_photo(request: HttpRequest, path: str) -> HttpResponse:
    if ".." in path.split("/") or path.startswith("/"):
        raise Http404("not a hazard photo")
    response = serve(request, path, document_root=settings.MEDIA_ROOT / "hazards")
    response["X-Content-Type-Options"] = "nosniff"
    return response
