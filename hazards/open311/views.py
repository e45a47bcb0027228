"""GeoReport v2 endpoints under /open311/v2/ for the 12345 hotline and city platforms."""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta

from django.contrib.gis.geos import Point
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from geo.api.throttles import refused_for
from geo.models import StreetOffice
from hazards.closed_loop import (
    OPEN_STATUSES,
    TransitionInvalid,
    create_report,
    ensure_default_categories,
    locate,
)
from hazards.models import HazardCategory, HazardReport, Open311Key
from hazards.open311 import georeport as gr

MAX_REQUESTS = 1000
DEFAULT_WINDOW = timedelta(days=90)


class _Error(Exception):
    def __init__(self, code: int, description: str):
        self.code, self.description = code, description


def _office(request: HttpRequest) -> StreetOffice:
    params = request.POST if request.method == "POST" else request.GET
    jid = params.get("jurisdiction_id")
    if jid:
        office = StreetOffice.objects.filter(code=jid).first()
        if office is None:
            raise _Error(404, f"jurisdiction_id '{jid}' not found")
        return office
    codes = list(StreetOffice.objects.order_by("code").values_list("code", flat=True)[:51])
    if len(codes) == 1:
        return StreetOffice.objects.get(code=codes[0])
    if not codes:
        raise _Error(404, "this endpoint serves no jurisdiction yet")
    # Several offices: say which ids exist (discovery.json lists them with their names too).
    listed = ", ".join(codes[:50]) + (", …" if len(codes) > 50 else "")
    raise _Error(400, f"jurisdiction_id is required: one of {listed} (see discovery.json)")


def _office_with_services(request: HttpRequest) -> StreetOffice:
    """Every office offers the default services, whether or not anyone has opened a page yet."""
    office = _office(request)
    ensure_default_categories(office)
    return office


def _handle(fmt: str, fn) -> HttpResponse:
    if fmt not in ("json", "xml"):
        return gr.error("json", 400, f"format '{fmt}' not supported: use .json or .xml")
    try:
        return fn()
    except _Error as e:
        return gr.error(fmt, e.code, e.description)


@require_http_methods(["GET"])
def services(request: HttpRequest, fmt: str) -> HttpResponse:
    def run():
        office = _office_with_services(request)
        cats = HazardCategory.objects.filter(street_office=office, active=True).order_by("code")
        return gr.respond("services", fmt, [gr.service(c) for c in cats])

    return _handle(fmt, run)


@require_http_methods(["GET"])
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    def run():
        office = _office_with_services(request)
        cat = HazardCategory.objects.filter(street_office=office, code=code, active=True).first()
        if cat is None:
            raise _Error(404, f"service_code '{code}' not found")
        return gr.respond("service_definition", fmt, [gr.service_definition(cat)])

    return _handle(fmt, run)


def _date(params, name: str) -> datetime | None:
    """A W3C date or datetime; a date alone is the start of that local day (end_date: its end)."""
    raw = params.get(name)
    if not raw:
        return None
    raw = raw.replace(" ", "+")  # an unencoded "+08:00" arrives as " 08:00"
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw) + timedelta(days=1 if name == "end_date" else 0)
            value = datetime.combine(day, time.min)
        else:
            value = parse_datetime(raw) if "T" in raw else None
    except ValueError:  # well-formed but impossible: 2026-02-30, hour 25
        value = None
    if value is None:
        raise _Error(
            400,
            f"{name} must be a W3C date or datetime such as 2026-11-01 or 2026-11-20T08:00:00+08:00",
        )
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def _coordinates(p) -> Point:
    try:
        lat, lng = float(p["lat"]), float(p["long"])
    except ValueError:
        raise _Error(400, "lat and long must be decimal degrees (WGS-84)") from None
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        raise _Error(400, "lat must be a number from -90 to 90")
    if not (math.isfinite(lng) and -180 <= lng <= 180):
        raise _Error(400, "long must be a number from -180 to 180")
    return Point(lng, lat, srid=4326)


def _requests_get(request: HttpRequest, fmt: str) -> HttpResponse:
    office = _office(request)
    p = request.GET
    qs = HazardReport.objects.filter(street_office=office).select_related("category")
    qs = qs.prefetch_related("photos")
    if p.get("service_request_id"):
        ids = [i for i in p["service_request_id"].split(",") if i.strip()]
        if not all(i.strip().isascii() and i.strip().isdigit() for i in ids):
            raise _Error(400, "service_request_id must be a comma-separated list of numbers")
        qs = qs.filter(pk__in=[int(i) for i in ids])
    else:
        start, end = _date(p, "start_date"), _date(p, "end_date")
        if start and end and end < start:
            raise _Error(400, "end_date is before start_date")
        if start is None and end is None:
            start = timezone.now() - DEFAULT_WINDOW
        if start:
            qs = qs.filter(created_at__gte=start)
        if end:
            qs = qs.filter(created_at__lt=end)
        if p.get("service_code"):
            qs = qs.filter(category__code__in=p["service_code"].split(","))
        if p.get("status"):
            wanted = set(p["status"].split(","))
            if not wanted <= {"open", "closed"}:
                raise _Error(400, "status must be open, closed or both (comma-separated)")
            if wanted == {"open"}:
                qs = qs.filter(status__in=OPEN_STATUSES)
            elif wanted == {"closed"}:
                qs = qs.exclude(status__in=OPEN_STATUSES)
    rows = [gr.service_request(r, request) for r in qs.order_by("-created_at")[:MAX_REQUESTS]]
    return gr.respond("requests", fmt, rows)


def _requests_post(request: HttpRequest, fmt: str) -> HttpResponse:
    if (wait := refused_for(request)) is not None:
        response = gr.error(fmt, 429, f"too many requests: retry in {wait} seconds")
        response["Retry-After"] = str(wait)
        return response
    p = request.POST
    key = Open311Key.objects.filter(key=p.get("api_key") or "", active=True).first()
    if key is None:
        raise _Error(403, "api_key was not provided or is invalid")
    office = _office(request) if p.get("jurisdiction_id") else key.street_office
    ensure_default_categories(office)
    if office.id != key.street_office_id:
        raise _Error(403, "this api_key is not valid for this jurisdiction_id")
    code = p.get("service_code")
    if not code:
        raise _Error(400, "service_code was not provided")
    cat = HazardCategory.objects.filter(street_office=office, code=code, active=True).first()
    if cat is None:
        raise _Error(404, f"service_code '{code}' not found")
    if not (p.get("lat") and p.get("long")):
        # We need a point for the grid and the hotspot map; addresses are not geocoded here.
        raise _Error(400, "lat and long are required (address_string alone is not geocoded)")
    point = _coordinates(p)
    placement = locate(point)
    if placement.street_office is None or placement.street_office.id != office.id:
        raise _Error(400, "lat/long is outside this jurisdiction")
    # Text that XML cannot carry is dropped here, so no report can break requests.xml later.
    p = {k: gr.xml_safe(v) for k, v in p.items()}
    name = " ".join(x for x in (p.get("last_name", ""), p.get("first_name", "")) if x)
    try:
        report = create_report(
            category=cat,
            point=point,
            description=(p.get("description") or "")[:4000],
            reporter_kind=HazardReport.ReporterKind.RESIDENT
            if name or p.get("phone")
            else HazardReport.ReporterKind.ANONYMOUS,
            reporter_name=name[:100],
            reporter_phone=(p.get("phone") or "")[:30],
            source=HazardReport.Source.OPEN311,
            address=(p.get("address_string") or "")[:300],
        )
    except TransitionInvalid as e:
        raise _Error(400, str(e)) from None
    notice = f"{key.name}: {cat.get_speed_display()} {cat.deadline_hours} h"
    return gr.respond(
        "requests",
        fmt,
        [{"service_request_id": str(report.pk), "service_notice": notice, "account_id": None}],
        status=201,
    )


@csrf_exempt  # partner platforms authenticate with api_key, not a browser session
@require_http_methods(["GET", "POST"])
def requests_(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _handle(fmt, lambda: _requests_post(request, fmt))
    return _handle(fmt, lambda: _requests_get(request, fmt))


@require_http_methods(["GET"])
def request_detail(request: HttpRequest, rid: str, fmt: str) -> HttpResponse:
    def run():
        office = _office(request)
        r = (
            HazardReport.objects.filter(
                street_office=office, pk=int(rid) if rid.isascii() and rid.isdigit() else -1
            )
            .select_related("category")
            .prefetch_related("photos")
            .first()
        )
        if r is None:
            raise _Error(404, f"service_request_id '{rid}' not found")
        return gr.respond("requests", fmt, [gr.service_request(r, request)])

    return _handle(fmt, run)


@require_http_methods(["GET"])
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    """Service discovery, with the jurisdiction ids (street office codes) clients must send."""
    if fmt not in ("json", "xml"):
        return gr.error("json", 400, f"format '{fmt}' not supported: use .json or .xml")
    offices = StreetOffice.objects.order_by("code").values_list("code", "name")
    doc = gr.discovery(
        request.build_absolute_uri("/open311/v2/"),
        [{"jurisdiction_id": code, "name": name} for code, name in offices],
    )
    if fmt == "xml":
        return HttpResponse(gr.discovery_xml(doc), content_type="text/xml; charset=utf-8")
    return JsonResponse(doc, json_dumps_params={"ensure_ascii": False})
