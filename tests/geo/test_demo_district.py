"""The shipped demo district: real OSM streets, communities and grids derived from the network."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection

from demo.district import DEMO_OFFICE_CODE, load_demo_district
from geo.models import Community, Grid, Segment, StreetOffice

pytestmark = pytest.mark.django_db


def test_demo_files_ship_with_attribution():
    assert (settings.DEMO_DATA_DIR / "wudaokou.gpkg").exists()
    attribution = (settings.DEMO_DATA_DIR / "ATTRIBUTION.md").read_text()
    assert "OpenStreetMap" in attribution and "ODbL" in attribution


def test_demo_district_loads_with_a_consistent_hierarchy():
    office = load_demo_district()
    assert office.code == DEMO_OFFICE_CODE
    assert Community.objects.filter(street_office=office).count() == 6
    assert Grid.objects.filter(street_office=office).count() >= 18
    segments = Segment.objects.filter(street_office=office)
    assert segments.count() > 1000
    # Every segment falls in a community and a grid, and its grid belongs to its community.
    assert not segments.filter(community=None).exists()
    assert not segments.filter(grid=None).exists()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM geo_segment s JOIN geo_grid g ON g.id = s.grid_id "
            "WHERE g.community_id <> s.community_id"
        )
        assert cur.fetchone()[0] == 0
        # Grids tile their community: the union of a community's grids is its polygon (to 1 m²).
        cur.execute(
            """
            SELECT max(abs(ST_Area(c.geom::geography) - ST_Area(u.geom::geography)))
            FROM geo_community c
            CROSS JOIN LATERAL (SELECT ST_Union(g.geom) AS geom FROM geo_grid g WHERE g.community_id = c.id) u
            """
        )
        assert cur.fetchone()[0] < 1.0


def test_demo_community_boundaries_follow_streets():
    load_demo_district()
    with connection.cursor() as cur:
        # Nearly all of each community's boundary (inside the office) lies on a street.
        cur.execute(
            """
            WITH inner_b AS (
              SELECT ST_Difference(ST_Boundary(c.geom), ST_Buffer(ST_Boundary(o.geom), 0.00002)) AS g
              FROM geo_community c JOIN geo_streetoffice o ON o.id = c.street_office_id
            ), streets AS (SELECT ST_Buffer(ST_Collect(geom), 0.00001) AS g FROM geo_segment)
            SELECT sum(ST_Length(ST_Intersection(i.g, s.g)::geography)) / sum(ST_Length(i.g::geography))
            FROM inner_b i, streets s
            """
        )
        assert cur.fetchone()[0] > 0.95


def test_loading_twice_changes_nothing():
    load_demo_district()
    before = list(Segment.objects.order_by("id").values_list("id", "updated_at"))
    load_demo_district()
    assert list(Segment.objects.order_by("id").values_list("id", "updated_at")) == before
    assert StreetOffice.objects.count() == 1
