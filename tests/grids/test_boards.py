"""责任分布牌: public data, phone display setting, printable page with QR code, PDF and PNG downloads."""

from __future__ import annotations

import pytest

from grids.boards import board_data
from stewards.models import ProgrammeSettings
from tests.grids import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def board():
    return f.board_community()


def test_the_board_lists_pairs_with_stewards_phones_grids_and_alleys(board):
    comm, g, segs, pair = board
    data = board_data(comm)
    (entry,) = data["legend"]
    assert entry["name"] == "华清一组" and entry["grids"] == ["华清一网格"]
    assert sorted(s["name"] for s in entry["stewards"]) == sorted(
        pair.stewards.values_list("name", flat=True)
    )
    assert {s["phone"] for s in entry["stewards"]} == {"13812345678"}
    claimed = [
        ft["properties"]["id"] for ft in data["features"]["features"] if ft["properties"]["pair"]
    ]
    assert claimed == [segs[0].pk, segs[1].pk]
    assert len(data["features"]["features"]) == len(segs)  # unclaimed alleys drawn for context


def test_phones_are_masked_when_the_office_says_so(board):
    comm, *_ = board
    ProgrammeSettings.objects.create(street_office=comm.street_office, phone_display="masked")
    (entry,) = board_data(comm)["legend"]
    assert {s["phone"] for s in entry["stewards"]} == {"138****5678"}


def test_the_public_page_needs_no_login_and_has_a_qr_code_and_print_css(board, client):
    comm, g, *_ = board
    r = client.get(f"/plan/board/{comm.pk}/?grid={g.pk}")
    body = r.content.decode()
    assert r.status_code == 200
    assert "华清一组" in body and "13812345678" in body and "<svg" in body
    assert "@page { size: A3 landscape" in body and "@media print" in body
    assert f"/plan/board/{comm.pk}/?grid={g.pk}" in body  # the QR target is shown under the code
    assert "A4 landscape" in client.get(f"/plan/board/{comm.pk}/?paper=A4").content.decode()


def test_the_qr_code_points_to_the_configured_public_address(board, client, settings):
    comm, g, *_ = board
    settings.ALLEY_PUBLIC_URL = "https://xiaoxiang.example.cn"
    body = client.get(f"/en/plan/board/{comm.pk}/?grid={g.pk}").content.decode()
    assert f"https://xiaoxiang.example.cn/plan/board/{comm.pk}/?grid={g.pk}" in body
    assert "testserver" not in body and "127.0.0.1" not in body
    settings.ALLEY_PUBLIC_URL = ""
    body = client.get(f"/plan/board/{comm.pk}/").content.decode()
    assert f"http://testserver/plan/board/{comm.pk}/" in body  # unset: the request's own host


def test_the_board_draws_the_area_boundary_and_street_names(board, client):
    comm, *_ = board
    data = board_data(comm)
    assert data["boundary"]["type"] == "MultiPolygon"
    assert all("length_m" in ft["properties"] for ft in data["features"]["features"])
    body = client.get(f"/plan/board/{comm.pk}/").content.decode()
    assert 'id="board-boundary"' in body and "street-label" in body
    assert ".leaflet-control-zoom" in body.split("@media print")[1].split("}")[0]
