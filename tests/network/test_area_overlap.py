"""Area imports: an overlapping office/community/grid is refused with what it would move, unless
replaced on purpose; unchanged rows are not counted as updated."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from geo.importers.areas import AreaOverlapError, import_areas
from geo.models import Community, Segment, StreetOffice
from geo.queries import assign_segments_to_areas
from grids import assignment
from tests.grids import factories as f

pytestmark = pytest.mark.django_db
X0, Y0 = f.X0, f.Y0


def _areas(tmp_path: Path, name: str, rows: list[dict]) -> Path:
    path = tmp_path / name
    pyogrio.write_dataframe(gpd.GeoDataFrame(rows, crs=4326), path)
    return path


@pytest.fixture
def claimed_office(tmp_path):
    """Office S1 (a 0.004° square) with a claimed 3×3 lattice of alleys in its west half."""
    path = _areas(tmp_path, "s1.geojson", [
        {"code": "S1", "name": "一号街道", "geometry": shapely.box(X0 - 0.0005, Y0 - 0.0005, X0 + 0.0035, Y0 + 0.0035)},
    ])  # fmt: skip
    import_areas(path, level="street_office")
    so = StreetOffice.objects.get(code="S1")
    comm = f.community(so)
    segs = f.lattice(comm, 3, 3)
    assign_segments_to_areas()
    pair = f.pair(comm, name="西组")
    assignment.assign(pair, [s.pk for s in segs])
    return so, segs


def test_overlapping_office_is_refused_with_segments_and_claims(tmp_path, claimed_office):
    so, segs = claimed_office
    path = _areas(tmp_path, "s2.geojson", [
        {"code": "S2", "name": "二号街道", "geometry": shapely.box(X0 - 0.001, Y0 - 0.001, X0 + 0.0015, Y0 + 0.003)},
    ])  # fmt: skip
    with pytest.raises(AreaOverlapError) as refused:
        import_areas(path, level="street_office")
    (overlap,) = refused.value.overlaps
    assert (overlap.new_code, overlap.area_code) == ("S2", "S1")
    assert overlap.segment_ids and set(overlap.segment_ids) <= {s.pk for s in segs}
    assert any("西组" in c for c in overlap.claims)
    assert "一号街道" in str(refused.value) and "--replace" in str(refused.value)
    # Nothing written, nothing moved.
    assert not StreetOffice.objects.filter(code="S2").exists()
    assert set(Segment.objects.values_list("street_office_id", flat=True)) == {so.pk}


def test_replace_clips_the_existing_office_and_moves_its_segments(tmp_path, claimed_office):
    so, segs = claimed_office
    new = shapely.box(X0 - 0.001, Y0 - 0.001, X0 + 0.0015, Y0 + 0.003)
    path = _areas(tmp_path, "s2.geojson", [{"code": "S2", "name": "二号街道", "geometry": new}])
    result = import_areas(path, level="street_office", replace=True)
    assert result.created == 1 and len(result.overlaps) == 1
    s2 = StreetOffice.objects.get(code="S2")
    so.refresh_from_db()
    assert not shapely.from_wkb(bytes(so.geom.wkb)).intersection(new).area > 1e-12
    moved = Segment.objects.filter(street_office=s2)
    assert set(moved.values_list("pk", flat=True)) == set(result.overlaps[0].segment_ids)


def test_neighbours_sharing_a_boundary_are_not_an_overlap(tmp_path, claimed_office):
    path = _areas(tmp_path, "s3.geojson", [
        {"code": "S3", "name": "东邻街道", "geometry": shapely.box(X0 + 0.0035, Y0 - 0.0005, X0 + 0.006, Y0 + 0.0035)},
    ])  # fmt: skip
    assert import_areas(path, level="street_office").created == 1


def test_only_real_changes_count_as_updates(tmp_path):
    rows = [
        {"code": "S1", "name": "一号街道", "geometry": shapely.box(116.30, 39.99, 116.31, 40.0)},
        {"code": "S2", "name": "二号街道", "geometry": shapely.box(116.31, 39.99, 116.32, 40.0)},
    ]
    first = import_areas(_areas(tmp_path, "a.geojson", rows), level="street_office")
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    again = import_areas(_areas(tmp_path, "b.geojson", rows), level="street_office")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    rows[1]["name"] = "二号街道（新）"
    renamed = import_areas(_areas(tmp_path, "c.geojson", rows), level="street_office")
    assert (renamed.created, renamed.updated, renamed.unchanged) == (0, 1, 1)


def test_community_overlap_within_the_office_is_refused(tmp_path, claimed_office):
    so, _segs = claimed_office
    comm = Community.objects.get(street_office=so)
    path = _areas(tmp_path, "c.geojson", [
        {"code": "NEW", "name": "新社区", "geometry": shapely.box(X0, Y0, X0 + 0.001, Y0 + 0.001)},
    ])  # fmt: skip
    with pytest.raises(AreaOverlapError) as refused:
        import_areas(path, level="community")
    assert refused.value.overlaps[0].area_code == comm.code
