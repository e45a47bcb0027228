"""Open311 GeoReport v2: field lists, JSON and XML, filters, API key, the spec's error format."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

import pytest

from hazards.closed_loop import create_report, transition
from hazards.models import HazardReport, Open311Key
from hazards.open311.georeport import (
    ERROR_FIELDS,
    POST_RESPONSE_FIELDS,
    REQUEST_FIELDS,
    SERVICE_DEFINITION_FIELDS,
    SERVICE_FIELDS,
)

from .factories import make_office, pt, user

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"


@pytest.fixture
def office():
    o = make_office()
    Open311Key.objects.create(street_office=o, name="12345热线", key="k-12345")
    return o


def _errors(resp, code):
    assert resp.status_code == code
    body = resp.json()
    assert isinstance(body, list) and set(body[0]) == set(ERROR_FIELDS)
    assert body[0]["code"] == code and body[0]["description"]
    return body[0]["description"]


def test_services_list_and_definition_json_and_xml(client, office):
    data = client.get(f"{BASE}/services.json").json()
    assert len(data) == 8 and all(set(s) == set(SERVICE_FIELDS) for s in data)
    assert {s["service_code"] for s in data} >= {"safety", "parking", "other"}
    xml = ET.fromstring(client.get(f"{BASE}/services.xml").content)
    assert xml.tag == "services" and len(xml.findall("service")) == 8
    assert {c.tag for c in xml.find("service")} == set(SERVICE_FIELDS)
    d = client.get(f"{BASE}/services/parking.json", {"jurisdiction_id": "T1"}).json()
    assert set(d) == set(SERVICE_DEFINITION_FIELDS) and d["service_code"] == "parking"
    dx = ET.fromstring(client.get(f"{BASE}/services/parking.xml").content)
    assert dx.tag == "service_definition" and dx.findtext("service_code") == "parking"


def test_post_then_get_request(client, office):
    resp = client.post(
        f"{BASE}/requests.json",
        {
            "api_key": "k-12345",
            "service_code": "wiring",
            "lat": "40.005",
            "long": "116.305",
            "description": "飞线充电",
            "first_name": "三",
            "last_name": "张",
            "phone": "13800000000",
        },
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert set(body[0]) == set(POST_RESPONSE_FIELDS)
    rid = body[0]["service_request_id"]
    r = HazardReport.objects.get(pk=rid)
    assert r.source == "open311" and r.reporter_name == "张 三" and r.grid.code == "T1A1"
    got = client.get(f"{BASE}/requests/{rid}.json").json()
    assert len(got) == 1 and set(got[0]) == set(REQUEST_FIELDS)
    assert got[0]["status"] == "open" and got[0]["service_code"] == "wiring"
    assert got[0]["lat"] == pytest.approx(40.005) and got[0]["long"] == pytest.approx(116.305)
    assert "13800000000" not in json.dumps(got)  # no personal data leaves through Open311
    x = ET.fromstring(client.get(f"{BASE}/requests/{rid}.xml").content)
    assert x.tag == "service_requests" and {c.tag for c in x.find("request")} == set(REQUEST_FIELDS)


def test_get_requests_filters(client, office):
    cat = office.hazard_categories.get(code="parking")
    a = create_report(category=cat, point=pt(116.305, 40.005), reporter_kind="anonymous")
    b = create_report(
        category=office.hazard_categories.get(code="safety"),
        point=pt(116.306, 40.005),
        reporter_kind="anonymous",
    )
    transition(b, "rejected", user("supervisor", office), note="不属实")
    ids = lambda resp: sorted(int(r["service_request_id"]) for r in resp.json())  # noqa: E731
    assert ids(client.get(f"{BASE}/requests.json")) == sorted([a.pk, b.pk])
    assert ids(client.get(f"{BASE}/requests.json", {"service_code": "parking"})) == [a.pk]
    assert ids(client.get(f"{BASE}/requests.json", {"status": "closed"})) == [b.pk]
    assert ids(client.get(f"{BASE}/requests.json", {"status": "open"})) == [a.pk]
    assert ids(client.get(f"{BASE}/requests.json", {"service_request_id": f"{b.pk}"})) == [b.pk]
    assert ids(client.get(f"{BASE}/requests.json", {"start_date": "2099-01-01T00:00:00Z"})) == []
    _errors(client.get(f"{BASE}/requests.json", {"start_date": "yesterday"}), 400)
    _errors(client.get(f"{BASE}/requests.json", {"status": "pending"}), 400)


def test_errors_400_403_404_in_json_and_xml(client, office):
    ok = {"api_key": "k-12345", "service_code": "parking", "lat": "40.005", "long": "116.305"}
    assert "api_key" in _errors(client.post(f"{BASE}/requests.json", {**ok, "api_key": "bad"}), 403)
    _errors(
        client.post(f"{BASE}/requests.json", {k: v for k, v in ok.items() if k != "api_key"}), 403
    )
    assert "service_code" in _errors(
        client.post(f"{BASE}/requests.json", {k: v for k, v in ok.items() if k != "service_code"}),
        400,
    )
    _errors(client.post(f"{BASE}/requests.json", {**ok, "service_code": "nope"}), 404)
    _errors(client.post(f"{BASE}/requests.json", {**ok, "lat": ""}), 400)
    assert "outside" in _errors(client.post(f"{BASE}/requests.json", {**ok, "lat": "39.0"}), 400)
    _errors(client.get(f"{BASE}/requests/999999.json"), 404)
    _errors(client.get(f"{BASE}/services/nope.json"), 404)
    _errors(client.get(f"{BASE}/services.json", {"jurisdiction_id": "ZZ"}), 404)
    x = client.get(f"{BASE}/requests/999999.xml")
    root = ET.fromstring(x.content)
    assert x.status_code == 404 and root.tag == "errors"
    assert {c.tag for c in root.find("error")} == set(ERROR_FIELDS)
    assert root.find("error").findtext("code") == "404"
    assert client.get(f"{BASE}/services.csv").status_code == 400
