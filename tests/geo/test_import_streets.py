"""The street importer on the real Wudaokou OSM extract and on crafted bad files."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely
from django.db import connection

from geo.importers.reading import ImportFileError
from geo.importers.streets import WALKABLE_CLASSES, import_streets
from geo.models import Segment
from tests.geo.osm_reference import expected_segments, geodesic_length_m, walkable_ways

pytestmark = pytest.mark.django_db


def test_osm_import_matches_an_independent_reading(wudaokou_osm: Path):
    coords, refs = walkable_ways(wudaokou_osm, WALKABLE_CLASSES)
    result = import_streets(wudaokou_osm, source="osm")

    assert result.segments == Segment.objects.count() == expected_segments(refs)
    expected_m = sum(geodesic_length_m(c) for c in coords)
    stored_m = sum(Segment.objects.values_list("length_m", flat=True))
    assert stored_m == pytest.approx(expected_m, rel=0.005)
    assert result.total_km == pytest.approx(stored_m / 1000)
    assert result.skipped  # motorways, platforms, cycleways are reported, not silently dropped
    assert any("motorway" in reason for reason in result.skipped)


def test_segments_are_split_at_junctions_and_nowhere_else(wudaokou_osm: Path):
    import_streets(wudaokou_osm, source="osm")
    with connection.cursor() as cur:
        # No segment may contain, in its interior, a vertex shared with another segment.
        cur.execute(
            """
            SELECT count(*) FROM geo_segment a JOIN geo_segment b
              ON a.id <> b.id AND ST_DWithin(a.geom, b.geom, 0)
            CROSS JOIN LATERAL ST_DumpPoints(a.geom) p
            WHERE p.path[1] NOT IN (1, ST_NPoints(a.geom))
              AND ST_Intersects(p.geom, b.geom)
              AND EXISTS (SELECT 1 FROM ST_DumpPoints(b.geom) q WHERE ST_Equals(q.geom, p.geom))
            """
        )
        assert cur.fetchone()[0] == 0


def test_reimport_is_idempotent(wudaokou_osm: Path):
    first = import_streets(wudaokou_osm, source="osm")
    ids = set(Segment.objects.values_list("id", flat=True))
    second = import_streets(wudaokou_osm, source="osm")
    assert (second.created, second.updated, second.retired) == (0, 0, 0)
    assert second.unchanged == first.segments
    assert set(Segment.objects.values_list("id", flat=True)) == ids


def test_changed_feature_is_updated_and_removed_feature_retired(tmp_path: Path):
    lines = gpd.GeoDataFrame(
        {"osm_id": ["1", "2"], "name": ["清华路", "成府路"], "highway": ["residential", "service"]},
        geometry=[
            shapely.LineString([(116.31, 40.0), (116.311, 40.0)]),
            shapely.LineString([(116.32, 40.0), (116.32, 40.001)]),
        ],
        crs=4326,
    )
    path = tmp_path / "streets.gpkg"
    pyogrio.write_dataframe(lines, path)
    import_streets(path, source="t")
    pyogrio.write_dataframe(lines.iloc[:1].assign(name=["清华东路"]), path)
    result = import_streets(path, source="t")
    assert (result.created, result.updated, result.retired) == (0, 1, 1)
    assert list(Segment.objects.current().values_list("name", flat=True)) == ["清华东路"]


def test_lengths_are_geodesic_metres(tmp_path: Path):
    # 0.001° of latitude at 40°N is 111.04 m on the WGS-84 ellipsoid; 0.001° of longitude is 85.39 m.
    lines = gpd.GeoDataFrame(
        {"highway": ["footway", "footway"]},
        geometry=[
            shapely.LineString([(116.3, 40.0), (116.3, 40.001)]),
            shapely.LineString([(116.4, 40.0), (116.401, 40.0)]),
        ],
        crs=4326,
    )
    path = tmp_path / "l.geojson"
    pyogrio.write_dataframe(lines, path)
    import_streets(path, source="t")
    lengths = sorted(Segment.objects.values_list("length_m", flat=True))
    assert lengths[0] == pytest.approx(85.39, abs=0.05)
    assert lengths[1] == pytest.approx(111.04, abs=0.05)


def test_projected_file_lands_in_the_right_place(wudaokou_osm: Path, tmp_path: Path):
    lines = pyogrio.read_dataframe(wudaokou_osm, layer="lines")
    lines = lines[lines["highway"].isin(["residential", "living_street"])]
    path = tmp_path / "utm50n.gpkg"
    pyogrio.write_dataframe(lines.to_crs(32650), path)
    import_streets(path, source="utm")
    import_streets_wgs = tmp_path / "wgs.gpkg"
    pyogrio.write_dataframe(lines, import_streets_wgs)
    import_streets(import_streets_wgs, source="wgs")
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT count(*), max(ST_HausdorffDistance(ST_Transform(u.geom, 32650), ST_Transform(w.geom, 32650)))
            FROM geo_segment u JOIN geo_segment w ON u.source_id = w.source_id
            WHERE u.source = 'utm' AND w.source = 'wgs'
            """
        )
        matched, worst_m = cur.fetchone()
    assert matched == Segment.objects.filter(source="wgs").count() > 50
    assert worst_m < 0.01


def _assert_rejected(path: Path, needle: str, **options) -> None:
    before = Segment.objects.count()
    with pytest.raises(ImportFileError) as err:
        import_streets(path, source="bad", **options)
    assert needle in str(err.value)
    assert Segment.objects.count() == before


def _two_lines(names=("清华路", "成府路")) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": list(names), "highway": ["residential", "service"]},
        geometry=[
            shapely.LineString([(116.31, 40.0), (116.311, 40.0)]),
            shapely.LineString([(116.32, 40.0), (116.32, 40.001)]),
        ],
        crs=4326,
    )


def test_shapefile_without_prj_is_rejected(tmp_path: Path):
    path = tmp_path / "roads.shp"
    pyogrio.write_dataframe(_two_lines(), path)
    (tmp_path / "roads.prj").unlink()
    _assert_rejected(path, ".prj")


def test_file_without_lines_is_rejected(tmp_path: Path):
    points = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(116.3, 40.0)], crs=4326)
    path = tmp_path / "points.geojson"
    pyogrio.write_dataframe(points, path)
    _assert_rejected(path, "没有线要素")


def test_corrupt_file_is_rejected(tmp_path: Path):
    path = tmp_path / "broken.gpkg"
    path.write_bytes(b"SQLite format 3\x00" + b"\x13" * 2000)
    _assert_rejected(path, "无法读取")
    truncated = tmp_path / "truncated.geojson"
    truncated.write_text('{"type": "FeatureCollection", "features": [{"type": "Feat')
    _assert_rejected(truncated, "无法读取")


def test_empty_file_is_rejected(tmp_path: Path):
    path = tmp_path / "empty.geojson"
    path.write_bytes(b"")
    _assert_rejected(path, "空")


def test_wrong_encoding_of_chinese_names_is_detected(tmp_path: Path):
    path = tmp_path / "gbk.shp"
    pyogrio.write_dataframe(_two_lines(), path, encoding="GBK")
    (tmp_path / "gbk.cpg").unlink()  # as many Chinese GIS exports ship: GBK bytes, no code page
    _assert_rejected(path, "编码")
    result = import_streets(path, source="gbk", encoding="GBK")
    assert result.segments == 2
    assert set(Segment.objects.values_list("name", flat=True)) == {"清华路", "成府路"}


def test_dry_run_writes_nothing(tmp_path: Path):
    path = tmp_path / "l.gpkg"
    pyogrio.write_dataframe(_two_lines(), path)
    result = import_streets(path, source="t", dry_run=True)
    assert result.segments == 2 and result.dry_run
    assert Segment.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_dry_run_rolls_back_outside_a_test_transaction(tmp_path: Path):
    # A savepoint-only "dry run" would pass inside TestCase's transaction; this one is autocommit.
    path = tmp_path / "l.gpkg"
    pyogrio.write_dataframe(_two_lines(), path)
    import_streets(path, source="t", dry_run=True)
    assert Segment.objects.count() == 0
