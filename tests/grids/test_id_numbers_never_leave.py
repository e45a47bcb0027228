"""ID-card numbers are absent from every API response and page, and from the database itself."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from rest_framework.test import APIClient

from grids import assignment
from stewards import idcard, registry
from tests.grids import factories as f

pytestmark = pytest.mark.django_db
NUMBERS = [idcard.fake(501, dt.date(1955, 4, 3)), idcard.fake(502, dt.date(1961, 11, 12))]


def _variants(number: str) -> list[str]:
    # The full number, its body without the check digit, and the common masked forms.
    return [number, number[:17], number[-8:], number[6:14] + number[14:], number.lower()]


@pytest.fixture
def world():
    so = f.office()
    comm = f.community(so)
    gr = f.grid(comm)
    segs = f.lattice(comm, 3, 2, gr=gr)
    stewards = [
        registry.register_steward(community=comm, id_card=n, name=f"管家{i}", phone="13812345678")
        for i, n in enumerate(NUMBERS)
    ]
    for s in stewards:
        registry.advance_to_active(s)
    pair = registry.form_pair(stewards, name="一组")
    change = assignment.assign(pair, [s.pk for s in segs])
    planner = f.user(so)
    return {
        "so": so,
        "comm": comm,
        "grid": gr,
        "stewards": stewards,
        "pair": pair,
        "change": change,
        "planner": planner,
    }


def _assert_clean(body: str, where: str) -> None:
    for number in NUMBERS:
        for v in _variants(number):
            assert v not in body, f"{where} reveals an ID number fragment {v!r}"
        assert idcard.digest(number) not in body, f"{where} reveals an ID digest"


def test_no_api_response_contains_an_id_number(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the posted sheet waits there for its import job
    c = APIClient()
    c.force_authenticate(world["planner"])
    s, p, so, comm = world["stewards"][0], world["pair"], world["so"], world["comm"]
    urls = [
        "/api/patrols/stewards/", f"/api/patrols/stewards/{s.pk}/", "/api/patrols/pairs/", f"/api/patrols/pairs/{p.pk}/",
        f"/api/patrols/settings/{so.pk}/", "/api/grids/communities/", f"/api/grids/segments/?community={comm.pk}",
        "/api/grids/claims/", "/api/grids/changes/", f"/api/grids/coverage/{so.pk}/", f"/api/grids/boards/{comm.pk}/",
        f"/api/grids/boards/{comm.pk}/?grid={world['grid'].pk}", "/api/schema/",
    ]  # fmt: skip
    for url in urls:
        r = c.get(url)
        assert r.status_code == 200, (url, r.status_code)
        _assert_clean(r.content.decode(), url)
    r = c.patch(f"/api/patrols/stewards/{s.pk}/", {"phone": "13900000000"}, format="json")
    assert r.status_code == 200
    _assert_clean(r.content.decode(), "PATCH steward")
    r = c.post(
        f"/api/patrols/stewards/{s.pk}/transition/", {"to_status": "resigned"}, format="json"
    )
    _assert_clean(r.content.decode(), "transition")
    # A duplicate registration, in the API and in an import report, does not echo the number either.
    r = c.post(
        "/api/patrols/stewards/",
        {"community": comm.pk, "name": "x", "phone": "1", "id_card": NUMBERS[1]},
        format="json",
    )
    assert r.status_code == 400
    _assert_clean(r.content.decode(), "duplicate create")
    sheet = io.BytesIO(f"姓名,身份证号码,联系电话,社区\n甲,{NUMBERS[1]},1,{comm.name}\n".encode())
    sheet.name = "s.csv"
    r = c.post(
        "/api/patrols/stewards/import/", {"street_office": so.pk, "file": sheet}, format="multipart"
    )
    assert (
        r.status_code == 202
    )  # the report comes from the import job: tests/stewards/test_sheet_import_jobs.py
    _assert_clean(r.content.decode(), "import report")


def test_no_page_contains_an_id_number(world, client):
    client.force_login(world["planner"])
    comm = world["comm"]
    for url in (f"/plan/assign/{comm.pk}/", f"/plan/coverage/{world['so'].pk}/", f"/plan/stewards/{world['so'].pk}/", f"/plan/board/{comm.pk}/",
                f"/plan/board/{comm.pk}/?grid={world['grid'].pk}", "/api/docs/"):  # fmt: skip
        r = client.get(url)
        assert r.status_code == 200, url
        _assert_clean(r.content.decode(), url)


def test_a_database_dump_does_not_reveal_id_numbers(world):
    # Every column of every table of ours, as text: what pg_dump would write.
    with connection.cursor() as cur:
        cur.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE' AND table_name NOT LIKE 'spatial_ref_sys'"
        )
        tables = [t for (t,) in cur.fetchall()]
        dump = []
        for table in tables:
            cur.execute(
                f'SELECT row_to_json(dumped_row)::text FROM "{table}" dumped_row'
            )  # table names from the catalogue
            dump.extend(r for (r,) in cur.fetchall())
    text = "\n".join(dump)
    assert "管家0" in text  # the dump does contain the stewards
    for number in NUMBERS:
        for v in _variants(number)[:2]:
            assert v not in text
