"""The base map endpoint: GeoJSON of streets, outlines and labels for a bbox at a zoom level."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from geo.basemap import BasemapQuery, basemap, etag_of

# Streets change when a planner imports a network, rarely within minutes; the ETag makes a
# revalidation after that cheap (304 without a body).
CACHE_CONTROL = "public, max-age=300"


@require_GET
def basemap_view(request: HttpRequest) -> HttpResponse:
    """GET /api/geo/basemap/?bbox=minx,miny,maxx,maxy&z=N — public data (streets and areas)."""
    try:
        q = BasemapQuery.parse(request.GET.get("bbox"), request.GET.get("z"))
    except ValueError as exc:
        return JsonResponse({"detail": str(exc)}, status=400)
    body = json.dumps(basemap(q), ensure_ascii=False, separators=(",", ":")).encode()
    etag = etag_of(body)
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type="application/geo+json")
    response["ETag"] = etag
    response["Cache-Control"] = CACHE_CONTROL
    return response
