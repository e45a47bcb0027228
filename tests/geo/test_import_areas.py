"""Area polygons (street offices, communities, grids) from files, with attribute mapping."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from geo.importers.areas import import_areas
from geo.importers.reading import ImportFileError
from geo.importers.streets import import_streets
from geo.models import Community, Grid, Segment, StreetOffice
from tests.conftest import data_file

pytestmark = pytest.mark.django_db


def _write(tmp_path: Path, name: str, rows: list[dict], crs: int = 4326) -> Path:
    path = tmp_path / name
    pyogrio.write_dataframe(gpd.GeoDataFrame(rows, crs=crs), path)
    return path


def test_real_subdistrict_boundaries_import_with_field_mapping():
    path = data_file("boundaries", "beijing-subdistricts", "dongcheng-all.geojson")
    fields = [c for c in pyogrio.read_info(path)["fields"]]
    name_field = next(f for f in fields if "name" in f.lower())
    code_field = next(
        f for f in fields if f.lower() in {"code", "gb", "id", "adcode"} or "code" in f.lower()
    )
    result = import_areas(path, level="street_office", name_field=name_field, code_field=code_field)
    assert result.created == 17
    codes = list(StreetOffice.objects.values_list("code", flat=True))
    assert all(len(c) == 12 and c.startswith("110101") for c in codes)
    again = import_areas(path, level="street_office", name_field=name_field, code_field=code_field)
    # Nothing changed: nothing counted as updated.
    assert (again.created, again.updated, again.unchanged) == (0, 0, 17)
    assert StreetOffice.objects.count() == 17


def test_hierarchy_by_location_and_by_code_field(tmp_path: Path):
    office = _write(
        tmp_path,
        "o.geojson",
        [{"code": "S1", "name": "演示街道", "geometry": shapely.box(116.30, 39.99, 116.34, 40.02)}],
    )
    comms = _write(
        tmp_path,
        "c.geojson",
        [
            {"code": "C1", "name": "东社区", "geometry": shapely.box(116.32, 39.99, 116.34, 40.02)},
            {"code": "C2", "name": "西社区", "geometry": shapely.box(116.30, 39.99, 116.32, 40.02)},
        ],
    )
    grids = _write(
        tmp_path,
        "g.geojson",
        [
            {
                "code": "G1",
                "name": "一网格",
                "parent": "C1",
                "geometry": shapely.box(116.32, 39.99, 116.34, 40.00),
            },
            {
                "code": "G2",
                "name": "二网格",
                "parent": "C2",
                "geometry": shapely.box(116.30, 39.99, 116.32, 40.00),
            },
        ],
    )
    streets = _write(
        tmp_path,
        "s.geojson",
        [
            {
                "highway": "residential",
                "geometry": shapely.LineString([(116.325, 39.995), (116.33, 39.995)]),
            },
        ],
    )
    import_streets(streets, source="s")
    import_areas(office, level="street_office")
    import_areas(comms, level="community")
    import_areas(grids, level="grid", parent_field="parent")
    assert Community.objects.get(code="C1").street_office.code == "S1"
    assert Grid.objects.get(code="G2").community.code == "C2"
    seg = Segment.objects.get()
    assert (seg.street_office.code, seg.community.code, seg.grid.code) == ("S1", "C1", "G1")


def test_area_outside_every_parent_is_skipped_and_reported(tmp_path: Path):
    office = _write(
        tmp_path,
        "o.geojson",
        [{"code": "S1", "name": "街道", "geometry": shapely.box(116.30, 39.99, 116.34, 40.02)}],
    )
    far = _write(
        tmp_path,
        "c.geojson",
        [{"code": "C9", "name": "远方社区", "geometry": shapely.box(120.0, 30.0, 120.1, 30.1)}],
    )
    import_areas(office, level="street_office")
    result = import_areas(far, level="community")
    assert result.created == 0 and sum(result.skipped.values()) == 1
    assert not Community.objects.exists()


def test_lines_are_not_areas(tmp_path: Path):
    lines = _write(
        tmp_path,
        "l.geojson",
        [{"name": "x", "geometry": shapely.LineString([(116.3, 40), (116.31, 40)])}],
    )
    with pytest.raises(ImportFileError, match="多边形"):
        import_areas(lines, level="street_office")
    assert not StreetOffice.objects.exists()


def test_projected_areas_are_reprojected(tmp_path: Path):
    box = gpd.GeoSeries([shapely.box(116.30, 39.99, 116.34, 40.02)], crs=4326).to_crs(32650).iloc[0]
    path = _write(
        tmp_path, "utm.gpkg", [{"code": "U", "name": "投影街道", "geometry": box}], crs=32650
    )
    import_areas(path, level="street_office")
    extent = StreetOffice.objects.get().geom.extent
    assert extent == pytest.approx((116.30, 39.99, 116.34, 40.02), abs=1e-6)
