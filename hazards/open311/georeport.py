"""GeoReport v2 representations: the spec's field names, JSON and XML, and its error format.

Spec: https://wiki.open311.org/GeoReport_v2 . Field lists are kept here as constants so the tests
can check responses against them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from hazards.closed_loop import OPEN_STATUSES
from hazards.models import HazardCategory, HazardReport

SERVICE_FIELDS = (
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
)
SERVICE_DEFINITION_FIELDS = ("service_code", "attributes")
REQUEST_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)
POST_RESPONSE_FIELDS = ("service_request_id", "service_notice", "account_id")
ERROR_FIELDS = ("code", "description")


def _dt(value) -> str | None:
    # W3C datetime with the offset, as the spec asks.
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def service(cat: HazardCategory) -> dict[str, Any]:
    return {
        "service_code": cat.code,
        "service_name": cat.name,
        "description": cat.description or cat.name,
        "metadata": False,
        "type": "realtime",
        "keywords": cat.get_speed_display(),
        "group": cat.department,
    }


def service_definition(cat: HazardCategory) -> dict[str, Any]:
    return {"service_code": cat.code, "attributes": []}


def service_request(r: HazardReport, request: HttpRequest, notes: str = "") -> dict[str, Any]:
    photo = next(iter(r.photos.all()), None)
    return {
        "service_request_id": str(r.pk),
        "status": "open" if r.status in OPEN_STATUSES else "closed",
        "status_notes": notes or r.get_status_display(),
        "service_name": r.category.name,
        "service_code": r.category.code,
        "description": r.description,
        "agency_responsible": r.department,
        "service_notice": "",
        "requested_datetime": _dt(r.created_at),
        "updated_datetime": _dt(r.updated_at),
        "expected_datetime": _dt(r.deadline_at),
        "address": r.address,
        "address_id": "",
        "zipcode": "",
        "lat": r.location.y if r.location else None,
        "long": r.location.x if r.location else None,
        "media_url": request.build_absolute_uri(photo.image.url) if photo else "",
    }


# Characters XML 1.0 cannot carry at all (not even escaped): C0 controls but tab/LF/CR, lone
# surrogates, U+FFFE/U+FFFF. One of them in a description made requests.xml unreadable to every client.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    return NOT_XML.sub("", text)


def _xml_value(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return xml_safe(str(v))


def _to_xml(root: str, item: str, rows: Iterable[dict[str, Any]]) -> bytes:
    top = ET.Element(root)
    for row in rows:
        el = ET.SubElement(top, item)
        for k, v in row.items():
            child = ET.SubElement(el, k)
            if isinstance(v, list):  # attributes of a service definition
                for a in v:
                    ae = ET.SubElement(child, "attribute")
                    for ak, av in a.items():
                        ET.SubElement(ae, ak).text = _xml_value(av)
            else:
                child.text = _xml_value(v)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")


# XML root/item element names per response kind.
_XML = {
    "services": ("services", "service"),
    "service_definition": (None, "service_definition"),
    "requests": ("service_requests", "request"),
    "errors": ("errors", "error"),
}


def respond(kind: str, fmt: str, rows: list[dict[str, Any]], status: int = 200) -> HttpResponse:
    if fmt == "xml":
        root, item = _XML[kind]
        if root is None:
            body = _to_xml("_", item, rows)
            body = body.replace(b"<_>", b"").replace(b"</_>", b"")
        else:
            body = _to_xml(root, item, rows)
        return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")
    data: Any = rows[0] if kind == "service_definition" else rows
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def discovery(endpoint_url: str, jurisdictions: list[dict[str, str]]) -> dict[str, Any]:
    """The GeoReport v2 service discovery document, with the jurisdictions this endpoint serves."""
    return {
        "changeset": "2026-12-01T00:00:00+08:00",
        "contact": "",
        "key_service": "",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": endpoint_url,
                "changeset": "2026-12-01T00:00:00+08:00",
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
        "jurisdictions": jurisdictions,
    }


def discovery_xml(doc: dict[str, Any]) -> bytes:
    top = ET.Element("discovery")
    for key in ("changeset", "contact", "key_service"):
        ET.SubElement(top, key).text = xml_safe(doc[key])
    endpoints = ET.SubElement(top, "endpoints")
    for ep in doc["endpoints"]:
        el = ET.SubElement(endpoints, "endpoint")
        for key in ("specification", "url", "changeset", "type"):
            ET.SubElement(el, key).text = xml_safe(ep[key])
        formats = ET.SubElement(el, "formats")
        for f in ep["formats"]:
            ET.SubElement(formats, "format").text = f
    juris = ET.SubElement(top, "jurisdictions")
    for j in doc["jurisdictions"]:
        el = ET.SubElement(juris, "jurisdiction")
        for key, value in j.items():
            ET.SubElement(el, key).text = xml_safe(value)
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")


def error(fmt: str, code: int, description: str) -> HttpResponse:
    return respond("errors", fmt, [{"code": code, "description": description}], status=code)
