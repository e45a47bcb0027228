"""Planning coverage: shares per community and grid, unassigned, overlong and fragmented pairs."""

from __future__ import annotations

import pytest

from grids import assignment
from grids.planning import coverage
from stewards import registry
from stewards.models import ProgrammeSettings
from tests.grids import factories as f

pytestmark = pytest.mark.django_db


def test_coverage_reports_shares_and_flags_problem_pairs():
    so = f.office()
    comm = f.community(so, name="甲社区")
    g1, g2 = f.grid(comm, "一网格"), f.grid(comm, "二网格")
    #  west lattice (grid 1)            east lattice (grid 2), not connected to the west
    west = f.lattice(comm, 3, 1, gr=g1)  # 2 horizontal segments
    east = f.lattice(comm, 3, 1, x0=116.33, gr=g2)
    p1, p2 = f.pair(comm), f.pair(comm)
    assignment.assign(p1, [west[0].pk, east[0].pk])  # two pieces -> fragmented
    assignment.assign(p2, [west[1].pk])
    ProgrammeSettings.objects.create(street_office=so, max_pair_length_m=100)

    cov = coverage(so.pk)
    (row,) = cov["communities"]
    total = sum(s.length_m for s in west + east)
    assert row["total_m"] == pytest.approx(total, abs=0.2)
    assert row["share"] == pytest.approx(3 / 4, abs=0.01)
    grids = {r["name"]: r for r in cov["grids"]}
    assert grids["一网格"]["share"] == 1.0 and grids["二网格"]["unassigned_segments"] == 1
    assert cov["unassigned_segment_ids"] == [east[1].pk]
    pairs = {r["pair"]: r for r in cov["pairs"]}
    assert pairs[p1.pk]["fragmented"] and pairs[p1.pk]["pieces"] == 2 and pairs[p1.pk]["overlong"]
    assert not pairs[p2.pk]["fragmented"] and not pairs[p2.pk]["overlong"]
    assert not pairs[p1.pk]["incomplete"]
    registry.change_status(p2.stewards.first(), "resigned")
    assert {r["pair"]: r for r in coverage(so.pk)["pairs"]}[p2.pk]["incomplete"]


def test_the_coverage_page_shows_the_table(client):
    so = f.office()
    comm = f.community(so, name="乙社区")
    f.lattice(comm, 2, 1)
    client.force_login(f.user(so))
    r = client.get(f"/plan/coverage/{so.pk}/")
    assert r.status_code == 200 and "乙社区" in r.content.decode()
