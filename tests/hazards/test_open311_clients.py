"""Open311 GeoReport v2 for any client: the `georeport` client from PyPI (read-only calls) against a
live server, raw requests for POST, spec error bodies for every bad parameter, well-formed XML."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest
import requests
from georeport import GeoReport

from hazards.models import HazardCategory, HazardReport, Open311Key
from hazards.open311.georeport import ERROR_FIELDS

from .factories import make_office

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def endpoint(live_server):
    office = make_office("T1")
    Open311Key.objects.create(street_office=office, name="12345热线", key="k-12345")
    return f"{live_server.url}/open311/v2"


def _post(endpoint: str, **fields) -> requests.Response:
    body = {"api_key": "k-12345", "service_code": "parking", "lat": "40.005", "long": "116.305"}
    return requests.post(f"{endpoint}/requests.json", data={**body, **fields}, timeout=30)


def _xml_error(response: requests.Response, code: int) -> str:
    assert response.status_code == code, response.content
    root = ET.fromstring(response.content)
    assert root.tag == "errors" and {c.tag for c in root.find("error")} == set(ERROR_FIELDS)
    assert root.findtext("error/code") == str(code)
    return root.findtext("error/description")


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_georeport_client_reads_services_and_requests(endpoint, fmt):
    rid = _post(endpoint, description="飞线充电").json()[0]["service_request_id"]
    client = GeoReport(endpoint, jurisdiction="T1", output_format=fmt)
    services = client.get_service_list()
    assert {s["service_code"] for s in services} >= {"safety", "parking", "other"}
    assert client.get_service_definition("parking")["service_code"] == "parking"
    found = client.get_service_requests(start_date="2000-01-01")
    found = found if isinstance(found, list) else [found]  # xmltodict: one item is a dict
    assert [r["service_request_id"] for r in found] == [rid]
    one = client.get_service_request(rid)
    one = one[0] if isinstance(one, list) else one
    assert one["service_code"] == "parking" and one["description"] == "飞线充电"


def test_a_control_character_in_a_description_cannot_break_requests_xml(endpoint):
    assert _post(endpoint, description="井盖\x01缺失\x0b了").status_code == 201
    # Even a row written by another path (the admin, an import) is escaped on the way out.
    report = HazardReport.objects.get()
    HazardReport.objects.filter(pk=report.pk).update(description="坏\x02字符")
    xml = requests.get(f"{endpoint}/requests.xml", timeout=30)
    root = ET.fromstring(xml.content)  # raises if not well-formed
    assert root.findtext("request/description") == "坏字符"
    assert (
        GeoReport(endpoint, output_format="xml").get_service_requests()["description"] == "坏字符"
    )


def test_a_new_office_offers_services_before_anyone_opened_a_page(endpoint):
    office = make_office("T2", x0=116.40)
    HazardCategory.objects.filter(street_office=office).delete()
    services = GeoReport(endpoint, jurisdiction="T2").get_service_list()
    assert {s["service_code"] for s in services} >= {"safety", "parking"}


def test_several_offices_are_discovered_and_a_missing_jurisdiction_is_named(endpoint):
    make_office("T2", x0=116.40)
    description = _xml_error(requests.get(f"{endpoint}/services.xml", timeout=30), 400)
    assert "T1" in description and "T2" in description
    doc = requests.get(f"{endpoint}/discovery.json", timeout=30).json()
    assert [j["jurisdiction_id"] for j in doc["jurisdictions"]] == ["T1", "T2"]
    assert doc["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    xml = ET.fromstring(requests.get(f"{endpoint}/discovery.xml", timeout=30).content)
    assert [j.findtext("jurisdiction_id") for j in xml.iter("jurisdiction")] == ["T1", "T2"]
    assert GeoReport(endpoint, jurisdiction="T2").get_service_list()


@pytest.mark.parametrize(
    ("path", "params", "word"),
    [
        ("requests.xml", {"status": "\x00"}, "NUL"),
        ("requests.xml", {"start_date": "2026-02-30"}, "start_date"),
        ("requests.xml", {"start_date": "2026-11-01T25:00:00+08:00"}, "start_date"),
        ("requests.xml", {"end_date": "yesterday"}, "end_date"),
        ("requests.xml", {"service_request_id": "²"}, "service_request_id"),
        ("services.xml", {"jurisdiction_id": "\x00"}, "NUL"),
    ],
)
def test_every_bad_parameter_is_a_400_in_the_spec_format(endpoint, path, params, word):
    assert word in _xml_error(requests.get(f"{endpoint}/{path}", params, timeout=30), 400)


def test_a_unicode_digit_id_and_a_date_only_filter(endpoint):
    assert requests.get(f"{endpoint}/requests/².json", timeout=30).status_code == 404
    day = requests.get(f"{endpoint}/requests.json", {"start_date": "2026-11-01"}, timeout=30)
    assert day.status_code == 200 and day.json() == []


@pytest.mark.parametrize(
    ("lat", "word"), [("nan", "lat"), ("91", "lat"), ("inf", "lat"), ("x", "decimal")]
)
def test_impossible_coordinates_are_a_coordinate_error(endpoint, lat, word):
    response = requests.post(
        f"{endpoint}/requests.xml",
        data={"api_key": "k-12345", "service_code": "parking", "lat": lat, "long": "116.305"},
        timeout=30,
    )
    description = _xml_error(response, 400)
    assert word in description and "outside" not in description


def test_anonymous_writes_are_rate_limited_with_retry_after(endpoint, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon_write": "2/hour"},
    }
    assert [_post(endpoint).status_code for _ in range(2)] == [201, 201]
    refused = _post(endpoint)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert refused.json()[0]["code"] == 429
    api = endpoint.replace("/open311/v2", "/api/hazards/reports/")
    report = {"category": "parking", "lat": "40.005", "lng": "116.305"}
    # The API's anonymous report shares the per-IP budget, already spent.
    late = requests.post(api, json=report, timeout=30)
    assert late.status_code == 429 and "Retry-After" in late.headers
